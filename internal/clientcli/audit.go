package clientcli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

type auditCmd struct {
	ID string `arg:"" help:"The request's id."`
}

func (c *auditCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	events, err := s.api.Audit(e.Ctx, c.ID)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintln(w, "TIME\tTYPE\tUSER\tPATH\tDETAILS")
		for _, ev := range events {
			var extra []string
			for _, k := range slices.Sorted(maps.Keys(ev.Extra)) {
				extra = append(extra, clean(k)+"="+clean(extraValue(ev.Extra[k])))
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", stamp(ev.CreatedAt), clean(ev.Type), clean(ev.User),
				or(clean(ev.Path), "-"), or(strings.Join(extra, " "), "-"))
		}
	})
}

func extraValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
