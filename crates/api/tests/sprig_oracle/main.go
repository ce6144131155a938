// The Go peer of Sealant's sprig differential tests: renders templates exactly as Bitnami's
// controller does (text/template with sprig's GenericFuncMap minus env, expandenv and
// getHostByName) and reports each result.
//
// Input: one template per line, hex-encoded. Output: one line per template, "OK <hex of
// the rendered bytes>" or "ERR" when parsing or execution fails.
//
// Build in GOPATH mode against Debian's packages, with no download:
//   GO111MODULE=off GOPATH=/usr/share/gocode go build -o oracle main.go
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"text/template"

	"github.com/Masterminds/sprig"
)

func funcMap() template.FuncMap {
	m := sprig.GenericFuncMap()
	for _, name := range []string{"env", "expandenv", "getHostByName"} {
		delete(m, name)
	}
	return m
}

func render(fm template.FuncMap, text string) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	t, err := template.New("k").Funcs(fm).Parse(text)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	data := map[string]string{"a": "alpha", "n": "42"}
	if err := t.Execute(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func main() {
	fm := funcMap()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		text, err := hex.DecodeString(in.Text())
		if err != nil {
			fmt.Fprintln(out, "ERR")
			continue
		}
		res, err := render(fm, string(text))
		if err != nil {
			fmt.Fprintln(out, "ERR")
			continue
		}
		fmt.Fprintf(out, "OK %s\n", hex.EncodeToString(res))
	}
}
