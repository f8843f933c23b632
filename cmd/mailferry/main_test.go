package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the mailferry command: for
// script tests (testscript) and for the kill tests, which run it as a
// child process and SIGKILL it.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mailferry": func() { main() },
	})
}
