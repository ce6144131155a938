// The Go side of sprig's function-level differential test (crates/api/src/template/sprig/
// differential.rs). Built in GOPATH mode against Debian's sprig, without any download.
//
// Input, one case per line: {"f": "name", "a": [arg, ...]} where an arg is
//   {"s": "<base64 bytes>"}  string        {"i": 5}  int          {"l": 5}  int64
//   {"x": 1.5}  float64   {"b": true}  bool   {"n": true}  nil
//   {"la": [arg, ...]}  []interface{}    {"ls": ["<base64>", ...]}  []string
//   {"m": {"key": arg}}  map[string]interface{}
// Output, one line per case: "OK <base64 of %T|value>" or "ERR".
//
// Template mode (tests/sprig_text_differential.rs): {"t": "<template>", "d": {"key": "<base64>"}}
// renders the template against the data as Bitnami does (map[string]string), printing
// "OK <base64 of the output>" or "ERR".
//
// The function map is Bitnami's: sprig's GenericFuncMap minus env, expandenv, getHostByName.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
)

type arg struct {
	S  *string          `json:"s"`
	I  *int             `json:"i"`
	L  *int64           `json:"l"`
	X  *float64         `json:"x"`
	B  *bool            `json:"b"`
	N  bool             `json:"n"`
	LA []arg            `json:"la"`
	LS []string         `json:"ls"`
	M  map[string]arg   `json:"m"`
}

type testCase struct {
	F string            `json:"f"`
	A []arg             `json:"a"`
	T *string           `json:"t"`
	D map[string]string `json:"d"`
}

func unb64(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func value(a arg) interface{} {
	switch {
	case a.S != nil:
		return unb64(*a.S)
	case a.I != nil:
		return *a.I
	case a.L != nil:
		return *a.L
	case a.X != nil:
		return *a.X
	case a.B != nil:
		return *a.B
	case a.N:
		return nil
	case a.LS != nil:
		out := make([]string, len(a.LS))
		for i, s := range a.LS {
			out[i] = unb64(s)
		}
		return out
	case a.M != nil:
		out := map[string]interface{}{}
		for k, v := range a.M {
			out[k] = value(v)
		}
		return out
	default:
		out := make([]interface{}, len(a.LA))
		for i, v := range a.LA {
			out[i] = value(v)
		}
		return out
	}
}

func main() {
	funcs := sprig.GenericFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	delete(funcs, "getHostByName")
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var c testCase
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			panic(err)
		}
		if c.T != nil {
			data := map[string]string{}
			for k, v := range c.D {
				data[k] = unb64(v)
			}
			render(out, funcs, "k", *c.T, data)
			continue
		}
		data := map[string]interface{}{}
		refs := make([]string, len(c.A))
		for i, a := range c.A {
			key := fmt.Sprintf("a%d", i)
			data[key] = value(a)
			refs[i] = " ." + key
		}
		text := "{{ $r := " + c.F + strings.Join(refs, "") + " }}{{ printf \"%T\" $r }}|{{ $r }}"
		render(out, funcs, "case", text, data)
	}
}

// render parses and executes one template and prints its line: "OK <base64 of the
// output>", or "ERR" when either step fails.
func render(out *bufio.Writer, funcs template.FuncMap, name, text string, data interface{}) {
	var buf bytes.Buffer
	t, err := template.New(name).Funcs(funcs).Parse(text)
	if err == nil {
		err = t.Execute(&buf, data)
	}
	if err != nil {
		fmt.Fprintln(out, "ERR")
		return
	}
	fmt.Fprintln(out, "OK "+base64.StdEncoding.EncodeToString(buf.Bytes()))
}
