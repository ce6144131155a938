// Go's own text/template, as a batch oracle for the differential test (tests/go_template.rs).
//
// Reads cases from stdin until EOF, each:
//   u32 name length, name, u32 template length, template,
//   u32 entry count, then per entry u32 key length, key, u32 value length, value
// (all u32 big-endian). Writes per case one status byte (0 = rendered, 1 = failed to
// parse or execute), u32 output length and the output (empty on failure).
//
// The data is a map[string]string and no FuncMap is installed: the builtins only, with
// Go's defaults (missingkey=default), as Bitnami renders spec.template.data minus sprig.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"text/template"
)

func readBytes(r io.Reader) ([]byte, error) {
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for {
		name, err := readBytes(in)
		if err == io.EOF {
			return
		}
		if err != nil {
			panic(err)
		}
		text, err := readBytes(in)
		if err != nil {
			panic(err)
		}
		var count uint32
		if err := binary.Read(in, binary.BigEndian, &count); err != nil {
			panic(err)
		}
		data := map[string]string{}
		for i := uint32(0); i < count; i++ {
			k, err := readBytes(in)
			if err != nil {
				panic(err)
			}
			v, err := readBytes(in)
			if err != nil {
				panic(err)
			}
			data[string(k)] = string(v)
		}
		var buf bytes.Buffer
		status := byte(0)
		t, err := template.New(string(name)).Parse(string(text))
		if err == nil {
			err = t.Execute(&buf, data)
		}
		if err != nil {
			status = 1
			buf.Reset()
		}
		out.WriteByte(status)
		binary.Write(out, binary.BigEndian, uint32(buf.Len()))
		out.Write(buf.Bytes())
	}
}
