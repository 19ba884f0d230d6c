package codec

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

const testToken = "s3cret-token"

func codecServerForTest(t *testing.T, origins ...string) (*Codec, *httptest.Server) {
	t.Helper()
	c := mustCodec(t, newKey(t))
	h, err := NewHTTPHandler(c, ServerOptions{Token: testToken, CORSOrigins: origins})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return c, srv
}

func post(t *testing.T, url, auth, origin string, payloads []*commonpb.Payload) *http.Response {
	t.Helper()
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decodeResponse(t *testing.T, resp *http.Response) []*commonpb.Payload {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var out commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(b, &out), string(b))
	return out.Payloads
}

func TestCodecEndpointDecodesWithToken(t *testing.T) {
	c, srv := codecServerForTest(t)
	plain, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"pin": secretPIN})
	require.NoError(t, err)
	enc, err := c.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)

	resp := post(t, srv.URL+"/decode", "Bearer "+testToken, "http://localhost:8233", enc)
	assert.Equal(t, "http://localhost:8233", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	got := decodeResponse(t, resp)
	require.Len(t, got, 1)
	assert.JSONEq(t, `{"pin":"`+secretPIN+`"}`, string(got[0].Data))

	// A path prefix is fine (the UI appends /decode to whatever endpoint it is given).
	resp = post(t, srv.URL+"/codec/encode", "bearer "+testToken, "", []*commonpb.Payload{plain})
	got = decodeResponse(t, resp)
	require.Len(t, got, 1)
	assert.Equal(t, EncodingEncrypted, string(got[0].Metadata[MetadataEncoding]))
	back, err := c.Decode(got)
	require.NoError(t, err)
	assert.Equal(t, plain.Data, back[0].Data)
}

func TestCodecEndpointRefusesWithoutToken(t *testing.T) {
	c, srv := codecServerForTest(t)
	enc, err := c.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{MetadataEncoding: []byte("json/plain")}, Data: []byte(`"x"`)}})
	require.NoError(t, err)

	for name, auth := range map[string]string{
		"none":         "",
		"wrong token":  "Bearer nope",
		"basic":        "Basic " + testToken,
		"token only":   testToken,
		"empty bearer": "Bearer ",
	} {
		resp := post(t, srv.URL+"/decode", auth, "http://localhost:8233", enc)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer", name)
		// The UI must be able to read the 401, so the CORS headers are there too.
		assert.Equal(t, "http://localhost:8233", resp.Header.Get("Access-Control-Allow-Origin"), name)
		b, _ := io.ReadAll(resp.Body)
		assert.NotContains(t, string(b), "json/plain", name)
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/decode", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestCodecEndpointCORSPreflight(t *testing.T) {
	_, srv := codecServerForTest(t, "http://localhost:8233", "https://ui.example.com")

	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace,authorization")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}

	resp := preflight("https://ui.example.com")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode, "no token needed for a preflight")
	assert.Equal(t, "https://ui.example.com", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	for _, h := range []string{"Content-Type", "X-Namespace", "Authorization"} {
		assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), h)
	}
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	assert.Contains(t, resp.Header.Values("Vary"), "Origin")

	resp = preflight("https://evil.example.com")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	_, anyOrigin := codecServerForTest(t, "*")
	req, _ := http.NewRequest(http.MethodOptions, anyOrigin.URL+"/decode", nil)
	req.Header.Set("Origin", "https://whatever.example.com")
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r2.Body.Close()
	assert.Equal(t, "*", r2.Header.Get("Access-Control-Allow-Origin"))
}

func TestCodecEndpointConfig(t *testing.T) {
	c := mustCodec(t, newKey(t))
	_, err := NewHTTPHandler(c, ServerOptions{})
	assert.ErrorContains(t, err, EnvCodecToken)
	_, err = NewHTTPHandler(nil, ServerOptions{Token: "x"})
	assert.ErrorContains(t, err, EnvKey)

	assert.Equal(t, []string{DefaultCORSOrigin}, ParseOrigins(""))
	assert.Equal(t, []string{"http://a:1", "https://b"}, ParseOrigins(" http://a:1/ ,https://b,"))
}
