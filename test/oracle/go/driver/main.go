// Our oracle process (not upstream code) for the driver's synced-Secret data: one JSON case per stdin line, one
// JSON answer per stdout line. Built inside a temporary copy of the pinned driver module (cmd/kvrp-oracle), so
// the pinned module's own go.mod (Go version, golang.org/x/crypto) decides the behaviour, as in the driver.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	secretsstorev1 "sigs.k8s.io/secrets-store-csi-driver/apis/v1"
	"sigs.k8s.io/secrets-store-csi-driver/pkg/util/secretutil"
)

type request struct {
	ID         string `json:"id"`
	File       []byte `json:"file"`
	SecretType string `json:"secretType"`
	Key        string `json:"key"`
}

type answer struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Value []byte `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
	Panic string `json:"panic,omitempty"`
}

func handle(dir string, req *request) (a answer) {
	a.ID = req.ID
	defer func() {
		if r := recover(); r != nil {
			a = answer{ID: req.ID, Panic: fmt.Sprint(r)}
		}
	}()
	// GetSecretData reads the mounted file itself.
	path := filepath.Join(dir, "file")
	if err := os.WriteFile(path, req.File, 0o600); err != nil {
		panic(err)
	}
	data := []*secretsstorev1.SecretObjectData{{ObjectName: "file", Key: req.Key}}
	m, err := secretutil.GetSecretData(data, secretutil.GetSecretType(req.SecretType), map[string]string{"file": path})
	if err != nil {
		a.Error = err.Error()
		return a
	}
	for _, v := range m {
		a.Value = v
	}
	if a.Value == nil {
		a.Value = []byte{}
	}
	a.OK = true
	return a
}

func main() {
	dir, err := os.MkdirTemp("", "kvrp-oracle-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "kvrp-oracle:", err)
		os.Exit(2)
	}
	defer os.RemoveAll(dir)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, "kvrp-oracle: bad request:", err)
			os.Exit(2)
		}
		a := handle(dir, &req)
		if err := enc.Encode(&a); err != nil {
			os.Exit(2)
		}
		out.Flush()
	}
}
