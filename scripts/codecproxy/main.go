// Command codecproxy lets the Temporal UI of `make demo` decode the porting payloads: it forwards
// the UI's codec requests to the worker's codec endpoint (--codec-addr), adding the bearer token
// that endpoint requires (PORTING_CODEC_TOKEN) — a browser cannot add a static token itself. The
// endpoint still answers the CORS preflights and checks the UI's origin.
//
// For a developer machine only: anything that reaches the proxy gets payloads decrypted, so it
// listens on the loopback interface. In production, put the codec endpoint behind the
// authenticating proxy of your single sign-on instead.
//
//	PORTING_CODEC_TOKEN=… codecproxy -listen 127.0.0.1:8082 -target http://127.0.0.1:8081
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8082", "address to listen on (keep it on loopback)")
	target := flag.String("target", "http://127.0.0.1:8081", "the worker's codec endpoint")
	flag.Parse()
	if err := run(*listen, *target, os.Getenv("PORTING_CODEC_TOKEN")); err != nil {
		log.Fatalf("codecproxy: %v", err)
	}
}

func run(listen, target, token string) error {
	if token == "" {
		return errors.New("PORTING_CODEC_TOKEN is not set (the worker's codec endpoint token)")
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen %s: %w", listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-listen %s: the proxy decrypts for anyone who reaches it; listen on a loopback address", listen)
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("-target %q: must be a URL like http://127.0.0.1:8081", target)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = u.Host
			if r.In.Method != http.MethodOptions {
				r.Out.Header.Set("Authorization", "Bearer "+token)
			}
		},
	}
	srv := &http.Server{Addr: listen, Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("codecproxy: %s → %s (adds the bearer token)", listen, target)
	return srv.ListenAndServe()
}
