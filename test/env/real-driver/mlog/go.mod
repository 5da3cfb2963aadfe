// Our stand-in for monis.app/mlog, which the Go module proxy refuses to serve (403) but the Secrets Store CSI
// driver imports. Wired in by build-csi.sh with `go mod edit -replace`. Only what the driver calls is here.
module monis.app/mlog

go 1.24

require k8s.io/klog/v2 v2.100.1
