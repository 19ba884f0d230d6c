// Command uishot takes a screenshot of a Temporal UI page after clicking a button on it — for the
// README's picture of the Queries tab, where `status` runs only when "Run Query" is clicked, which
// `chromium --screenshot` cannot do. It drives headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: NUL-terminated JSON on file descriptors 3 and 4), so it needs nothing but
// the standard library and Chromium. A developer tool (scripts/screenshots.sh), not used by tests.
//
//	uishot -url http://localhost:8233/namespaces/default/workflows/ID/RUN/query \
//	    -click "Run Query" -wait '"request_id"' -out docs/ui-query-status.png
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.chromium, "chromium", "chromium", "the Chromium binary")
	flag.StringVar(&o.url, "url", "", "page to open")
	flag.StringVar(&o.out, "out", "", "PNG file to write")
	flag.StringVar(&o.click, "click", "", "text of a button to click once it shows (optional)")
	flag.StringVar(&o.wait, "wait", "", "text the page must show before the screenshot (optional)")
	flag.IntVar(&o.width, "width", 1400, "window width")
	flag.IntVar(&o.height, "height", 900, "window height")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "give up after this long")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "wait this long after the page is ready, for rendering")
	flag.Parse()
	if o.url == "" || o.out == "" {
		log.Fatal("uishot: -url and -out are required")
	}
	if err := run(o); err != nil {
		log.Fatalf("uishot: %v", err)
	}
}

type options struct {
	chromium, url, out, click, wait string
	width, height                   int
	timeout, settle                 time.Duration
}

// cdp is a DevTools protocol connection over Chromium's pipe.
type cdp struct {
	w      io.Writer
	mu     sync.Mutex
	nextID int
	calls  map[int]chan message
}

type message struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Params    any             `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func (c *cdp) read(r io.Reader) {
	br := bufio.NewReader(r)
	for {
		b, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m message
		if json.Unmarshal(b[:len(b)-1], &m) != nil || m.ID == 0 {
			continue // events are not needed: the page is polled
		}
		c.mu.Lock()
		ch := c.calls[m.ID]
		delete(c.calls, m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

func (c *cdp) call(session, method string, params any, out any) error {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan message, 1)
	c.calls[id] = ch
	b, err := json.Marshal(message{ID: id, Method: method, SessionID: session, Params: params})
	if err == nil {
		_, err = c.w.Write(append(b, 0))
	}
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: no answer from Chromium", method)
	}
}

func run(o options) error {
	toChrome, chromeIn, err := os.Pipe() // Chromium reads commands on fd 3
	if err != nil {
		return err
	}
	chromeOut, fromChrome, err := os.Pipe() // and writes answers on fd 4
	if err != nil {
		return err
	}
	cmd := exec.Command(o.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", fmt.Sprintf("--window-size=%d,%d", o.width, o.height), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", o.chromium, err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	toChrome.Close()
	fromChrome.Close()

	c := &cdp{w: chromeIn, calls: map[int]chan message{}}
	go c.read(chromeOut)

	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := c.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := c.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		return err
	}
	s := attached.SessionID
	if err := c.call(s, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": o.width, "height": o.height, "deviceScaleFactor": 1, "mobile": false,
	}, nil); err != nil {
		return err
	}
	if err := c.call(s, "Page.navigate", map[string]any{"url": o.url}, nil); err != nil {
		return err
	}

	eval := func(expr string) (string, error) {
		var r struct {
			Result struct {
				Value any `json:"value"`
			} `json:"result"`
		}
		if err := c.call(s, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
			return "", err
		}
		return fmt.Sprint(r.Result.Value), nil
	}
	deadline := time.Now().Add(o.timeout)
	until := func(what, expr string) error {
		for time.Now().Before(deadline) {
			if v, err := eval(expr); err == nil && v == "true" {
				return nil
			}
			time.Sleep(250 * time.Millisecond)
		}
		return errors.New("timed out waiting for " + what)
	}
	if o.click != "" {
		text, _ := json.Marshal(o.click)
		find := fmt.Sprintf(`[...document.querySelectorAll('button, a, [role=tab]')].find(b => b.innerText.trim() === %s && !b.disabled)`, text)
		if err := until("button "+o.click, "!!"+find); err != nil {
			return err
		}
		if _, err := eval(find + ".click(), true"); err != nil {
			return err
		}
	}
	if o.wait != "" {
		text, _ := json.Marshal(o.wait)
		if err := until("text "+o.wait, fmt.Sprintf(`document.body.innerText.includes(%s)`, text)); err != nil {
			return err
		}
	}
	time.Sleep(o.settle)
	var shot struct {
		Data string `json:"data"`
	}
	if err := c.call(s, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		return err
	}
	if err := os.WriteFile(o.out, png, 0o644); err != nil {
		return err
	}
	fmt.Printf("%d bytes written to %s\n", len(png), strings.TrimSpace(o.out))
	return nil
}
