package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// SecurityProtocol is one of Kafka's four listener security protocols.
type SecurityProtocol string

const (
	Plaintext     SecurityProtocol = "PLAINTEXT"
	SSL           SecurityProtocol = "SSL"
	SASLPlaintext SecurityProtocol = "SASL_PLAINTEXT"
	SASLSSL       SecurityProtocol = "SASL_SSL"
)

var securityProtocols = []SecurityProtocol{Plaintext, SSL, SASLPlaintext, SASLSSL}

// Listener is one endpoint of listeners or advertised.listeners.
type Listener struct {
	// Name is the listener name, upper-cased as Kafka normalises it.
	Name     string
	Protocol SecurityProtocol
	// Host is empty when the listener binds every interface (Kafka's
	// "PLAINTEXT://:9092"). An IPv6 literal is stored without brackets. For
	// an advertised listener, an empty host means the broker must advertise
	// its own host name, as Kafka does.
	Host string
	// Port is 0..65535; 0 asks the operating system for a free port.
	Port int
}

// Address is host:port for net.Listen and for clients (IPv6 in brackets).
func (l Listener) Address() string {
	if strings.Contains(l.Host, ":") {
		return "[" + l.Host + "]:" + strconv.Itoa(l.Port)
	}
	return l.Host + ":" + strconv.Itoa(l.Port)
}

// String is the listener in Kafka's syntax, NAME://host:port.
func (l Listener) String() string { return l.Name + "://" + l.Address() }

// endpoint is a listener before its name is matched to a security protocol.
type endpoint struct {
	name, host string
	port       int
}

// ParseListeners parses a listeners or advertised.listeners value:
// comma-separated NAME://host:port entries, where an empty host means all
// interfaces and an IPv6 host is written in brackets. Every name must appear
// in protocols (see ParseProtocolMap). Names must be distinct and, when
// distinctPorts is set (listeners, not advertised.listeners), so must ports,
// except that an IPv4 and an IPv6 literal may share one, as in Kafka.
func ParseListeners(s string, protocols map[string]SecurityProtocol, distinctPorts bool) ([]Listener, error) {
	eps, err := parseEndpoints(s)
	if err != nil {
		return nil, err
	}
	out := make([]Listener, 0, len(eps))
	for _, ep := range eps {
		p, ok := protocols[ep.name]
		if !ok {
			return nil, fmt.Errorf("no security protocol defined for listener %s", ep.name)
		}
		out = append(out, Listener{Name: ep.name, Protocol: p, Host: ep.host, Port: ep.port})
	}
	if distinctPorts {
		if err := checkDistinctPorts(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseEndpoints checks listener syntax and distinct names.
func parseEndpoints(s string) ([]endpoint, error) {
	var out []endpoint
	for _, entry := range splitCSV(s) {
		name, hostPort, ok := strings.Cut(entry, "://")
		if !ok {
			return nil, fmt.Errorf("unable to parse %s to a broker endpoint", entry)
		}
		name = strings.ToUpper(name)
		if !validListenerName(name) {
			return nil, fmt.Errorf("invalid listener name %q in %s", name, entry)
		}
		host, port, err := splitHostPort(hostPort)
		if err != nil {
			return nil, fmt.Errorf("unable to parse %s to a broker endpoint: %w", entry, err)
		}
		if slices.ContainsFunc(out, func(e endpoint) bool { return e.name == name }) {
			return nil, fmt.Errorf("each listener must have a different name, listeners: %s", s)
		}
		out = append(out, endpoint{name: name, host: host, port: port})
	}
	return out, nil
}

// splitHostPort accepts host:port, [ipv6]:port, :port (empty host) and, like
// Kafka's pattern, an unbracketed IPv6 literal followed by :port.
func splitHostPort(s string) (string, int, error) {
	var host, port string
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 || !strings.HasPrefix(s[end+1:], ":") {
			return "", 0, fmt.Errorf("malformed bracketed address %q", s)
		}
		host, port = s[1:end], s[end+2:]
		if _, err := netip.ParseAddr(host); err != nil || !strings.Contains(host, ":") {
			return "", 0, fmt.Errorf("%q is not an IPv6 address", host)
		}
	} else {
		i := strings.LastIndex(s, ":")
		if i < 0 {
			return "", 0, fmt.Errorf("missing port in %q", s)
		}
		host, port = s[:i], s[i+1:]
	}
	for _, c := range host {
		if !validHostChar(c) {
			return "", 0, fmt.Errorf("invalid character %q in host %q", c, host)
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || !isDigits(port) || n > 65535 {
		return "", 0, fmt.Errorf("invalid port %q", port)
	}
	return host, n, nil
}

// validHostChar is Kafka's host character class [0-9a-zA-Z\-%._:].
func validHostChar(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
		strings.ContainsRune("-%._:", c)
}

// validListenerName keeps names usable as config prefixes
// (listener.name.<name>.…) and in NAME:PROTOCOL maps.
func validListenerName(n string) bool {
	if n == "" {
		return false
	}
	for _, c := range n {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func checkDistinctPorts(ls []Listener) error {
	byPort := map[int][]Listener{}
	for _, l := range ls {
		if l.Port != 0 { // port 0 is an ephemeral port: never a clash
			byPort[l.Port] = append(byPort[l.Port], l)
		}
	}
	for port, group := range byPort {
		if len(group) == 1 {
			continue
		}
		if len(group) == 2 && oneIPv4OneIPv6(group[0].Host, group[1].Host) {
			continue
		}
		return fmt.Errorf("each listener must have a different port unless exactly one listener has an IPv4 address and the other an IPv6 address (port %d)", port)
	}
	return nil
}

func oneIPv4OneIPv6(a, b string) bool {
	x, errA := netip.ParseAddr(a)
	y, errB := netip.ParseAddr(b)
	if errA != nil || errB != nil {
		return false
	}
	return x.Is4() != y.Is4()
}

// ParseProtocolMap parses listener.security.protocol.map: NAME:PROTOCOL
// pairs, comma-separated. Names are upper-cased; protocols are matched
// case-insensitively, as Kafka does.
func ParseProtocolMap(s string) (map[string]SecurityProtocol, error) {
	m := map[string]SecurityProtocol{}
	for _, pair := range splitCSV(s) {
		name, proto, ok := strings.Cut(pair, ":")
		name, proto = strings.ToUpper(strings.TrimSpace(name)), strings.ToUpper(strings.TrimSpace(proto))
		if !ok || !validListenerName(name) {
			return nil, fmt.Errorf("malformed listener mapping %q (want NAME:PROTOCOL)", pair)
		}
		p := SecurityProtocol(proto)
		if !slices.Contains(securityProtocols, p) {
			return nil, fmt.Errorf("unknown security protocol %q for listener %s", proto, name)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("duplicate listener name %s", name)
		}
		m[name] = p
	}
	return m, nil
}

// Voter is one entry of controller.quorum.voters.
type Voter struct {
	ID   int32
	Host string
	Port int
}

var errVoter = errors.New("controller.quorum.voters entries must be id@host:port")

func parseVoters(entries []string) ([]Voter, error) {
	var out []Voter
	for _, e := range entries {
		if e == "" {
			continue
		}
		id, hostPort, ok := strings.Cut(e, "@")
		if !ok {
			return nil, fmt.Errorf("%w: %q", errVoter, e)
		}
		n, err := strconv.ParseInt(id, 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: invalid id in %q", errVoter, e)
		}
		host, port, err := splitHostPort(hostPort)
		if err != nil || host == "" {
			return nil, fmt.Errorf("%w: invalid address in %q", errVoter, e)
		}
		out = append(out, Voter{ID: int32(n), Host: host, Port: port})
	}
	return out, nil
}
