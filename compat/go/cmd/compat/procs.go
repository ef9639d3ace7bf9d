package main

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Every process the runner starts (brokers, scripts, members) leads its own
// process group, so that a script's children die with it. The groups are
// registered here so that an interrupted run (Ctrl-C, a CI timeout's
// SIGTERM) kills them all instead of leaving brokers behind on a shared
// machine.
var procs = struct {
	sync.Mutex
	groups map[int]bool
}{groups: map[int]bool{}}

func trackGroup(pgid int) {
	procs.Lock()
	procs.groups[pgid] = true
	procs.Unlock()
}

func untrackGroup(pgid int) {
	procs.Lock()
	delete(procs.groups, pgid)
	procs.Unlock()
}

// removeOnSignal is the run's temporary directory, removed on a signal too.
var removeOnSignal string

// killGroupsOnSignal makes SIGINT and SIGTERM kill every tracked process
// group and end the run with status 1.
func killGroupsOnSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		procs.Lock()
		for pgid := range procs.groups {
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
		procs.Unlock()
		if removeOnSignal != "" {
			os.RemoveAll(removeOnSignal)
		}
		fmt.Fprintf(os.Stderr, "compat: %v: killed the brokers and clients started\n", sig)
		os.Exit(1)
	}()
}
