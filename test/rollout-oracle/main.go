// Rollout-status oracle (our shim, built in a cache directory, never committed upstream code): kubectl's own
// StatusViewer (k8s.io/kubectl/pkg/polymorphichelpers) over a JSON array of workload objects on stdin; prints
// [{done, err, msg}] in the same order. test/unit/verify/rollout-oracle.test.ts compares shared/verify/rollout.ts with it.
package main

import (
	"encoding/json"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kubectl/pkg/polymorphichelpers"
)

type result struct {
	Done bool   `json:"done"`
	Err  string `json:"err,omitempty"`
	Msg  string `json:"msg"`
}

func main() {
	var cases []map[string]interface{}
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	out := make([]result, 0, len(cases))
	for _, c := range cases {
		u := &unstructured.Unstructured{Object: c}
		v, err := polymorphichelpers.StatusViewerFor(schema.GroupKind{Group: "apps", Kind: u.GetKind()})
		if err != nil {
			panic(err)
		}
		msg, done, err := v.Status(u, 0)
		r := result{Done: done, Msg: msg}
		if err != nil {
			r.Err = err.Error()
		}
		out = append(out, r)
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}
