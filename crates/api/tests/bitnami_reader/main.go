// The first step Bitnami's controller takes on every encryptedData value (SealedSecret.Unseal:
// base64.StdEncoding.DecodeString, and on error the whole object fails to unseal): run with
// Go's own standard library on the values Sealant writes. Reads a JSON map key -> value on
// stdin; prints one line per key, sorted: "<key>\tdecodes" or "<key>\tfails".
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

func main() {
	var data map[string]string
	if err := json.NewDecoder(os.Stdin).Decode(&data); err != nil {
		fmt.Fprintln(os.Stderr, "bad input:", err)
		os.Exit(2)
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := base64.StdEncoding.DecodeString(data[k]); err != nil {
			fmt.Printf("%s\tfails\n", k)
		} else {
			fmt.Printf("%s\tdecodes\n", k)
		}
	}
}
