package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fjordlabs/fjord/internal/broker"
	"github.com/fjordlabs/fjord/internal/config"
)

func newServerCommand() *cobra.Command {
	var (
		configPath string
		overrides  []string
		logLevel   string
		logFormat  string
		grace      time.Duration
		debugAddr  string
	)
	cmd := &cobra.Command{
		Use:   "server [server.properties]",
		Short: "Run a Fjord node (broker and controller)",
		Long: `Run a Fjord node. With no configuration it is a single-node cluster on
localhost:9092 with its data in ./fjord-data.

Configuration uses Kafka's server.properties names and defaults. Values come
from, lowest precedence first: defaults, the properties file, FJORD_*
environment variables (FJORD_LOG_DIRS sets log.dirs; "__" is "_", "___" is
"-"), and --override flags. Unknown keys are warned about; invalid values stop
the start with an error naming the key.

SIGINT or SIGTERM shuts down gracefully: in-flight requests finish, logs are
flushed and marked clean so the next start skips recovery.`,
		Example: `  fjord server
  fjord server config/server.properties
  fjord server --override log.dirs=/var/lib/fjord --override num.partitions=6
  FJORD_LISTENERS=PLAINTEXT://:9092 FJORD_ADVERTISED_LISTENERS=PLAINTEXT://myhost:9092 fjord server`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if configPath != "" {
					return usageError{errors.New("give the properties file either as an argument or with --config, not both")}
				}
				configPath = args[0]
			}
			logger, err := newLogger(logLevel, logFormat)
			if err != nil {
				return usageError{err}
			}
			src := config.Sources{Environ: os.Environ(), Overrides: overrides}
			if configPath != "" {
				f, err := os.Open(configPath)
				if err != nil {
					return err
				}
				defer f.Close()
				src.Properties, src.PropertiesName = f, configPath
			}
			cfg, warnings, err := config.Load(src)
			if err != nil {
				return err
			}
			for _, w := range warnings {
				logger.Warn("configuration", "key", w.Key, "origin", w.Origin, "msg", w.Msg)
			}
			if debugAddr != "" {
				if err := serveDebug(debugAddr, logger); err != nil {
					return err
				}
			}
			b, err := broker.Start(broker.Options{Config: cfg, Logger: logger})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			<-ctx.Done()
			stop()
			logger.Info("shutting down", "grace", grace)
			sctx, cancel := context.WithTimeout(context.Background(), grace)
			defer cancel()
			return b.Shutdown(sctx)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&configPath, "config", "c", "", "server.properties file")
	f.StringArrayVar(&overrides, "override", nil, "set a configuration key, as key=value (repeatable)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&logFormat, "log-format", "text", "text or json")
	f.DurationVar(&grace, "shutdown-timeout", 30*time.Second, "how long a graceful shutdown may take")
	f.StringVar(&debugAddr, "debug-addr", "", "serve Go's pprof profiles over HTTP on this address (e.g. 127.0.0.1:6060); off by default")
	return cmd
}

func newLogger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

// serveDebug serves net/http/pprof on addr for profiling a running broker.
func serveDebug(addr string, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--debug-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	logger.Info("serving pprof", "addr", ln.Addr().String())
	go http.Serve(ln, mux)
	return nil
}

// usageError marks an error in how the command was called (exit code 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }
