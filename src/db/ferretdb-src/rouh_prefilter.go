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
		if k == "" || strings.ContainsAny(k, ".$\"\\") {
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

		path := `$."` + k + `"`
		conds = append(conds, fmt.Sprintf(`(%[1]s->>? = ? OR json_type(%[1]s, ?) = 'array')`, metadata.DefaultColumn))
		args = append(args, path, text, path)
	}

	if len(conds) == 0 {
		return "", nil
	}

	return " WHERE " + strings.Join(conds, " AND "), args
}
