// Our shim, compiled into a temporary copy of the pinned provider's pkg/provider (package scope, so the
// unexported functions that do the work can be called). It is not upstream code.
//
// KvrpMount runs, for one SPC object, the body of GetSecretsStoreObjectContent's per-object loop exactly as
// upstream orders it (formatKeyVaultObject → validate → resolveObjectVersions → getKeyVaultObjectContent →
// getContentBytes → file name/UID/mode), against the real upstream KeyVault client (keyvault.go) built on the
// real Azure SDK clients, whose HTTP transport serves the Key Vault REST bodies the test generated. Only the
// credential and the transport are ours.

package provider

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azcertificates"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/Azure/secrets-store-csi-driver-provider-azure/pkg/provider/types"
)

// KvrpVaultURL is the vault the fake transport answers for (never contacted: no request leaves the process).
const KvrpVaultURL = "https://kvrp-oracle.vault.azure.net/"

// KvrpResponse is one canned Key Vault answer, keyed by URL path (no query).
type KvrpResponse struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// KvrpFile is one file the provider hands the driver.
type KvrpFile struct {
	Path     string `json:"path"`
	Content  []byte `json:"content"`
	UID      string `json:"uid"`
	Version  string `json:"version"`
	FileMode int32  `json:"fileMode"`
}

type kvrpTransport struct{ responses map[string]KvrpResponse }

func (t *kvrpTransport) Do(req *http.Request) (*http.Response, error) {
	header := http.Header{"Content-Type": []string{"application/json"}}
	if req.Header.Get("Authorization") == "" {
		// The SDK's challenge policy first asks without a token.
		header.Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/tenant", resource="https://vault.azure.net"`)
		return &http.Response{StatusCode: 401, Header: header, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
	}
	r, ok := t.responses[req.URL.Path]
	if !ok {
		r = KvrpResponse{Status: 404, Body: `{"error":{"code":"NotFound","message":"not in the oracle case"}}`}
	}
	return &http.Response{StatusCode: r.Status, Header: header, Body: io.NopCloser(bytes.NewBufferString(r.Body)), Request: req}, nil
}

type kvrpCredential struct{}

func (kvrpCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "oracle"}, nil
}

// KvrpOracle holds one upstream KeyVault client whose transport serves the current case.
type KvrpOracle struct {
	transport *kvrpTransport
	kv        KeyVault
}

// NewKvrpOracle builds the upstream client (keyvault.go's unexported `client`) on the SDK clients.
func NewKvrpOracle() (*KvrpOracle, error) {
	t := &kvrpTransport{}
	base := azcore.ClientOptions{Transport: t, Retry: policy.RetryOptions{MaxRetries: -1}}
	s, err := azsecrets.NewClient(KvrpVaultURL, kvrpCredential{}, &azsecrets.ClientOptions{ClientOptions: base})
	if err != nil {
		return nil, err
	}
	k, err := azkeys.NewClient(KvrpVaultURL, kvrpCredential{}, &azkeys.ClientOptions{ClientOptions: base})
	if err != nil {
		return nil, err
	}
	c, err := azcertificates.NewClient(KvrpVaultURL, kvrpCredential{}, &azcertificates.ClientOptions{ClientOptions: base})
	if err != nil {
		return nil, err
	}
	return &KvrpOracle{transport: t, kv: &client{secrets: s, keys: k, certs: c}}, nil
}

// KvrpMount renders one object as GetSecretsStoreObjectContent would (flags as given; default file mode 0644).
func (o *KvrpOracle) KvrpMount(obj types.KeyVaultObject, responses map[string]KvrpResponse, constructPEMChain, separateFiles bool) (files []KvrpFile, err error) {
	o.transport.responses = responses
	p := &provider{reporter: kvrpNoReporter{}, constructPEMChain: constructPEMChain, writeCertAndKeyInSeparateFiles: separateFiles}
	ctx := context.Background()
	keyVaultObject := obj
	formatKeyVaultObject(&keyVaultObject)
	if err = validate(keyVaultObject); err != nil {
		return nil, wrapObjectTypeError(err, keyVaultObject.ObjectType, keyVaultObject.ObjectName, keyVaultObject.ObjectVersion)
	}
	resolvedKvObjects, err := p.resolveObjectVersions(ctx, o.kv, keyVaultObject)
	if err != nil {
		return nil, err
	}
	for _, resolvedKvObject := range resolvedKvObjects {
		result, err := p.getKeyVaultObjectContent(ctx, o.kv, resolvedKvObject)
		if err != nil {
			return nil, err
		}
		for idx := range result {
			r := result[idx]
			objectContent, err := getContentBytes(r.content, resolvedKvObject.ObjectType, resolvedKvObject.ObjectEncoding)
			if err != nil {
				return nil, err
			}
			mode, _ := resolvedKvObject.GetFilePermission(os.FileMode(0644))
			files = append(files, KvrpFile{
				Path:     resolvedKvObject.GetFileName() + r.fileNameSuffix,
				Content:  objectContent,
				UID:      resolvedKvObject.GetObjectUID(),
				Version:  r.version,
				FileMode: mode,
			})
		}
	}
	return files, nil
}

// KvrpSelectVersions is getLatestNKeyVaultObjects on a listing already filtered by the upstream client.
func (o *KvrpOracle) KvrpSelectVersions(obj types.KeyVaultObject, responses map[string]KvrpResponse) ([][2]string, error) {
	o.transport.responses = responses
	p := &provider{reporter: kvrpNoReporter{}}
	keyVaultObject := obj
	formatKeyVaultObject(&keyVaultObject)
	resolved, err := p.resolveObjectVersions(context.Background(), o.kv, keyVaultObject)
	if err != nil {
		return nil, err
	}
	out := make([][2]string, 0, len(resolved))
	for _, r := range resolved {
		out = append(out, [2]string{r.GetFileName(), r.ObjectVersion})
	}
	return out, nil
}

// kvrpNoReporter replaces the metrics reporter (an OpenTelemetry exporter is not wanted in a test process).
type kvrpNoReporter struct{}

func (kvrpNoReporter) ReportKeyvaultRequest(context.Context, float64, string, string, string) {}
func (kvrpNoReporter) ReportGRPCRequest(context.Context, float64, string, string, string)     {}
