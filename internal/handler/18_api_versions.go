package handler

// ApiVersions, versions 0-4.
//
// The answer is built from the same registrations dispatch uses. An
// unsupported version gets Kafka's fallback: a version 0 body with
// UNSUPPORTED_VERSION and the key list, so the client can pick a version.
// Version 3+ client software name and version are validated as Kafka does.
// No features are advertised yet.

import (
	"context"
	"regexp"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func init() { register(kmsg.ApiVersions, 0, 4, (*Handlers).apiVersions) }

// softwareField is Kafka's rule for ClientSoftwareName and Version.
var softwareField = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$`)

func (h *Handlers) apiVersions(_ context.Context, req *server.Request) (kmsg.Response, error) {
	resp := kmsg.NewPtrApiVersionsResponse()
	if req.UnsupportedVersion {
		resp.SetVersion(0)
		resp.ErrorCode = kerr.UnsupportedVersion.Code
	} else {
		resp.SetVersion(req.Version)
		r := req.Body.(*kmsg.ApiVersionsRequest)
		if req.Version >= 3 && (!softwareField.MatchString(r.ClientSoftwareName) || !softwareField.MatchString(r.ClientSoftwareVersion)) {
			resp.ErrorCode = kerr.InvalidRequest.Code
		}
	}
	for _, a := range servedAPIs() {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = a.key, a.min, a.max
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	return resp, nil
}
