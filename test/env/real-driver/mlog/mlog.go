// Package mlog provides the few calls the Secrets Store CSI driver's main package makes into monis.app/mlog (a
// thin logging layer over klog): Setup, Fatal, Error, the log formats and ValidateAndSetKlogLevelAndFormatGlobally.
// Written for this project from the call sites in the driver (v1.5.x and v1.6.x); it logs through klog, which the
// driver has already configured from its flags, and supports the text format only (tests never ask for JSON).
package mlog

import (
	"context"
	"fmt"
	"os"

	"k8s.io/klog/v2"
)

// LogFormat is the driver's --log-format-json choice.
type LogFormat string

const (
	FormatText LogFormat = "text"
	FormatJSON LogFormat = "json"
)

// Setup returns the function the driver defers to flush logs on exit.
func Setup() func() {
	return klog.Flush
}

// ValidateAndSetKlogLevelAndFormatGlobally checks the verbosity the driver read from its -v flag and the format.
// klog already runs at that verbosity; only the text format exists here, so JSON is refused rather than ignored.
func ValidateAndSetKlogLevelAndFormatGlobally(_ context.Context, level klog.Level, format LogFormat) error {
	if level < 0 {
		return fmt.Errorf("invalid log level %d: it must be 0 or more", level)
	}
	if format != FormatText {
		return fmt.Errorf("log format %q is not supported by this build's monis.app/mlog stand-in: drop --log-format-json", format)
	}
	return nil
}

// Error logs an error with a message and optional key/value pairs.
func Error(msg string, err error, keysAndValues ...any) {
	klog.ErrorSDepth(1, err, msg, keysAndValues...)
}

// Fatal logs the error, flushes and exits with status 1.
func Fatal(err error, keysAndValues ...any) {
	klog.ErrorSDepth(1, err, "fatal error", keysAndValues...)
	klog.Flush()
	os.Exit(1)
}
