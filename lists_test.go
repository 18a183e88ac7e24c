package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestAnalysis_TargetGroupCounts: the target-group list's counts are the
// live counts of each group's rule over the real store.
func TestAnalysis_TargetGroupCounts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := NewApp(ctx, dir, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	kunden, _ := a.listSvc.CreateList(ctx, resonanz.List{Name: "Kunden"})
	leer, _ := a.listSvc.CreateList(ctx, resonanz.List{Name: "Leer"})
	for _, e := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		r, err := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: e})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.subscriptionSvc.Subscribe(ctx, r.ID, kunden.ID, resonanz.WebClient{}, "Ja"); err != nil {
			t.Fatal(err)
		}
	}
	rule := func(listID int64) resonanz.Condition {
		return resonanz.Condition{Kind: "group", Match: "all", Conditions: []resonanz.Condition{{Kind: "list", ListID: listID}}}
	}
	g1, err := a.analysis.SaveTargetGroup(resonanz.TargetGroup{Name: "Alle Kunden", Rule: rule(kunden.ID)})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := a.analysis.SaveTargetGroup(resonanz.TargetGroup{Name: "Niemand", Rule: rule(leer.ID)})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := a.analysis.TargetGroupCounts()
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]int{}
	for _, c := range counts {
		got[c.ID] = c.Members
	}
	if len(counts) != 2 || got[g1.ID] != 3 || got[g2.ID] != 0 {
		t.Errorf("counts = %+v", counts)
	}
	a.Close()
	// the command line finds a group by its name in any case, and says
	// when there is none
	if code, out, errOut := runCLI(t, "group", "alle KUNDEN", "--json", "--data", dir); code != 0 || !strings.Contains(out, `"count":3`) {
		t.Errorf("group 'alle KUNDEN': exit %d, %s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "group", "Keine", "--data", dir); code == 0 || !strings.Contains(errOut, `There is no target group named "Keine".`) {
		t.Errorf("group Keine: exit %d, %s", code, errOut)
	}
}
