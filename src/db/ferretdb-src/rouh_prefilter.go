// Added to FerretDB's SQLite backend by rouh-actions (see FERRET_FILES in src/db/ferretdb.ts).

package sqlite

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// scalarPrefilter is a WHERE clause keeping the rows whose top-level fields equal the filter's string and
// ObjectID values (sjson stores an ObjectID as its hex string) or hold an array: a superset of the matches.
func scalarPrefilter(filter *types.Document) (string, []any) {
	if filter == nil {
		return "", nil
	}

	var conds []string
	var args []any

	for _, k := range filter.Keys() {
		if k == "" || k == metadata.DefaultColumn || strings.ContainsAny(k, ".$\"\\") {
			continue
		}

		var text string

		switch v := must.NotFail(filter.Get(k)).(type) {
		case string:
			text = v
		case types.ObjectID:
			text = hex.EncodeToString(v[:])
		default:
			continue
		}

		if plainJSONString(text) {
			// The very expression FerretDB builds a single-field index on (registry.go: `_ferretdb_sjson->"k"`,
			// the field's JSON text), so SQLite reads such an index instead of the table: the value's JSON text,
			// or an array's (JSON text starting with '['; strings starting with '[' are kept too, a superset).
			field := fmt.Sprintf("%s->%q", metadata.DefaultColumn, k)
			conds = append(conds, fmt.Sprintf(`(%[1]s = ? OR (%[1]s >= '[' AND %[1]s < '\'))`, field))
			args = append(args, `"`+text+`"`)

			continue
		}

		path := `$."` + k + `"`
		conds = append(conds, fmt.Sprintf(`(%[1]s->>? = ? OR json_type(%[1]s, ?) = 'array')`, metadata.DefaultColumn))
		args = append(args, path, text, path)
	}

	if len(conds) == 0 {
		return "", nil
	}

	return " WHERE " + strings.Join(conds, " AND "), args
}

// plainJSONString reports whether s is written in JSON as itself between quotes, by any encoder: printable
// ASCII without the characters JSON or Go's encoder escape (`"`, `\`, `<`, `>`, `&`). Only then can its JSON
// text be compared as stored; other values use the decoding comparison above.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}

	return true
}
