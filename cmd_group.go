package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/resonanz/resonanz/backend/resonanz"
)

const groupUsage = `Usage:
  resonanz group NAME [--json]          count the members of a saved target group
  resonanz group --rule JSON [--json]   count the members of a rule (resonanz.Condition as JSON)
`

// runGroup implements `resonanz group`: the live count of a target group.
func runGroup(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	var rule string
	fs := newFlagSet("group")
	g.register(fs)
	fs.StringVar(&rule, "rule", "", "a rule as JSON")
	var name string
	if err := parseInterspersed(fs, args, &name); err != nil && rule == "" {
		fmt.Fprintf(stderr, "resonanz group: %v\n\n%s", err, groupUsage)
		return exitUsage
	}
	return withApp(ctx, g, stderr, func(a *App) error {
		var cond resonanz.Condition
		if rule != "" {
			if err := json.Unmarshal([]byte(rule), &cond); err != nil {
				return resonanz.E(resonanz.EINVALID, "error.cli.ruleValidJson", "The rule is not valid JSON: {reason}.", "reason", err)
			}
			name = "rule"
		} else {
			tg, err := targetGroupNamed(ctx, a, name)
			if err != nil {
				return err
			}
			cond = tg.Rule
		}
		n, err := a.targetSvc.CountMatching(ctx, cond)
		if err != nil {
			return err
		}
		if g.json {
			printJSON(stdout, map[string]any{"name": name, "count": n})
			return nil
		}
		fmt.Fprintf(stdout, "%s: %d recipients\n", name, n)
		return nil
	})
}
