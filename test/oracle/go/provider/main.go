// Our oracle process (not upstream code): reads one JSON case per line on stdin and answers one JSON line per
// case on stdout, so thousands of cases cost one process start. Built inside a temporary copy of the pinned
// provider module (cmd/kvrp-oracle), next to the shim in pkg/provider.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/Azure/secrets-store-csi-driver-provider-azure/pkg/provider"
	"github.com/Azure/secrets-store-csi-driver-provider-azure/pkg/provider/types"
	"k8s.io/klog/v2"
)

type request struct {
	ID                string                           `json:"id"`
	Op                string                           `json:"op"`
	Object            types.KeyVaultObject             `json:"object"`
	Responses         map[string]provider.KvrpResponse `json:"responses"`
	ConstructPEMChain bool                             `json:"constructPemChain"`
	SeparateFiles     bool                             `json:"separateFiles"`
}

type answer struct {
	ID       string              `json:"id"`
	OK       bool                `json:"ok"`
	Files    []provider.KvrpFile `json:"files,omitempty"`
	Versions [][2]string         `json:"versions,omitempty"`
	Error    string              `json:"error,omitempty"`
	Panic    string              `json:"panic,omitempty"`
}

func handle(o *provider.KvrpOracle, req *request) (a answer) {
	a.ID = req.ID
	defer func() {
		if r := recover(); r != nil {
			a = answer{ID: req.ID, Panic: fmt.Sprint(r)}
		}
	}()
	var err error
	switch req.Op {
	case "mount":
		a.Files, err = o.KvrpMount(req.Object, req.Responses, req.ConstructPEMChain, req.SeparateFiles)
	case "select":
		a.Versions, err = o.KvrpSelectVersions(req.Object, req.Responses)
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	if err != nil {
		a.Error = err.Error()
		return a
	}
	a.OK = true
	return a
}

func main() {
	klog.LogToStderr(false)
	klog.SetOutput(os.Stderr)
	o, err := provider.NewKvrpOracle()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kvrp-oracle:", err)
		os.Exit(2)
	}
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
		a := handle(o, &req)
		if err := enc.Encode(&a); err != nil {
			os.Exit(2)
		}
		out.Flush()
	}
}
