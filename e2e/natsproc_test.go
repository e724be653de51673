package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// nats-server processes, for fault benchmarks that SIGKILL a node (an
// in-process server's Shutdown steps down gracefully, which a crash does
// not).

var (
	natsBinOnce sync.Once
	natsBin     string
	natsBinErr  error
)

// natsServerBinary builds nats-server from the module's own dependency,
// once per test binary.
func natsServerBinary(tb testing.TB) string {
	tb.Helper()
	natsBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "schedmgr-nats-server")
		if err != nil {
			natsBinErr = err
			return
		}
		natsBin = filepath.Join(dir, "nats-server")
		out, err := exec.Command("go", "build", "-o", natsBin, "github.com/nats-io/nats-server/v2").CombinedOutput()
		if err != nil {
			natsBinErr = fmt.Errorf("build nats-server: %v: %s", err, out)
		}
	})
	if natsBinErr != nil {
		tb.Fatal(natsBinErr)
	}
	return natsBin
}

// procNode is one nats-server process of a procCluster.
type procNode struct {
	name, conf string
	port       int
	cmd        *exec.Cmd
}

// procCluster is a NATS cluster of nats-server processes on loopback (one
// standalone server when it has one node).
type procCluster struct {
	tb    testing.TB
	bin   string
	nodes []*procNode
}

func startProcCluster(tb testing.TB, n int) *procCluster {
	tb.Helper()
	c := &procCluster{tb: tb, bin: natsServerBinary(tb)}
	dir := tb.TempDir()
	clientPorts, routePorts := make([]int, n), make([]int, n)
	var routes []string
	for i := range n {
		clientPorts[i], routePorts[i] = freePort(tb), freePort(tb)
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", routePorts[i]))
	}
	for i := range n {
		node := &procNode{name: fmt.Sprintf("n%d", i+1), port: clientPorts[i], conf: filepath.Join(dir, fmt.Sprintf("n%d.conf", i+1))}
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
jetstream { store_dir: %q }
`, node.name, node.port, filepath.Join(dir, node.name))
		if n > 1 { // one node runs standalone, as the embedded server does
			conf += fmt.Sprintf("cluster { name: schedmgr-bench, listen: 127.0.0.1:%d, routes: [%s] }\n",
				routePorts[i], strings.Join(routes, ", "))
		}
		if err := os.WriteFile(node.conf, []byte(conf), 0o600); err != nil {
			tb.Fatal(err)
		}
		c.nodes = append(c.nodes, node)
		c.start(i)
	}
	tb.Cleanup(func() {
		for i := range c.nodes {
			c.kill(i)
		}
	})
	_, js := natstest.Connect(tb, c.URLs(), natstest.Reconnect)
	poll.Until(tb, "a JetStream meta leader", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	})
	return c
}

// start (re)starts node i with its store.
func (c *procCluster) start(i int) {
	c.tb.Helper()
	n := c.nodes[i]
	n.cmd = exec.Command(c.bin, "-c", n.conf)
	if err := n.cmd.Start(); err != nil {
		c.tb.Fatal(err)
	}
	poll.Until(c.tb, n.name+" to accept connections", func() bool {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.port), time.Second)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
}

// kill SIGKILLs node i.
func (c *procCluster) kill(i int) {
	n := c.nodes[i]
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	_ = n.cmd.Wait()
	n.cmd = nil
}

// URLs lists the client URLs, first the node first.
func (c *procCluster) URLs(first ...int) string {
	var u []string
	order := append([]int{}, first...)
	for i := range c.nodes {
		if !contains(order, i) {
			order = append(order, i)
		}
	}
	for _, i := range order {
		u = append(u, fmt.Sprintf("nats://127.0.0.1:%d", c.nodes[i].port))
	}
	return strings.Join(u, ",")
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// index returns the node of server name, or -1.
func (c *procCluster) index(name string) int {
	for i, n := range c.nodes {
		if n.name == name {
			return i
		}
	}
	return -1
}

// waitCurrent waits until stream has every replica current (after a node
// restart), so the next fault starts from a healthy cluster.
func waitCurrent(tb testing.TB, js jetstream.JetStream, stream string, replicas int) {
	tb.Helper()
	poll.Until(tb, "stream "+stream+" to have all replicas current", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s, err := js.Stream(ctx, stream)
		if err != nil {
			return false
		}
		info, err := s.Info(ctx)
		if err != nil || info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != replicas-1 {
			return false
		}
		for _, r := range info.Cluster.Replicas {
			if !r.Current || r.Offline {
				return false
			}
		}
		return true
	})
}
