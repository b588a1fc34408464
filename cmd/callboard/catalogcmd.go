package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"gopkg.in/yaml.v3"

	"github.com/callboard/callboard/catalog"
)

func runCatalog(ctx context.Context, e env, args []string) int {
	subs := map[string]func(context.Context, env, []string) int{
		"validate": runValidate,
		"ls":       runList,
		"show":     runShow,
	}
	if len(args) > 0 {
		if f, ok := subs[args[0]]; ok {
			return f(ctx, e, args[1:])
		}
	}
	w := e.stderr
	code := exitUsage
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
		w, code = e.stdout, exitOK
	} else if len(args) > 0 {
		fmt.Fprintf(w, "callboard catalog: unknown subcommand %q\n\n", args[0])
	}
	fmt.Fprintln(w, "Usage: callboard catalog SUBCOMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  validate [--format text|json|github] PATH...  check descriptor files as Backstage would")
	fmt.Fprintln(w, "  ls [--kind K] [--owner REF]                   list entities")
	fmt.Fprintln(w, "  show [--format yaml|json] REF                 show one entity with its relations")
	return code
}

func runValidate(ctx context.Context, e env, args []string) int {
	var format string
	fs := newFlagSet(e, "catalog validate", "PATH...", "Check every .yaml/.yml descriptor under each folder (and each file named) as Backstage's catalog would.\nExit 0 when every document is valid, 1 when any is invalid, 2 on usage errors.")
	fs.StringVar(&format, "format", "text", "output: text (file:line:col: message), json (one object per line) or github (Actions annotations)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if code, ok := noFlagsAfterArgs(e, "catalog validate", fs.Args()); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "callboard catalog validate: name at least one file or folder")
		fs.Usage()
		return exitUsage
	}
	if format != "text" && format != "json" && format != "github" {
		fmt.Fprintf(e.stderr, "callboard catalog validate: --format must be text, json or github, not %q\n", format)
		return exitUsage
	}
	l := &catalog.Loader{Roots: fs.Args(), AllYAML: true, MissingTargetsAreWarnings: true}
	res, err := l.Load(ctx, nil)
	if err != nil {
		fmt.Fprintf(e.stderr, "callboard catalog validate: %v\n", err)
		return exitFailed
	}
	problems := append(res.Problems, catalog.Relate(res.Entities)...)
	problems.Sort()
	for _, p := range problems {
		writeProblem(e.stdout, format, p)
	}
	errs := problems.Errors()
	fmt.Fprintf(e.stderr, "%d files, %d entities: %d errors, %d warnings\n", len(res.Files), len(res.Entities), errs, len(problems)-errs)
	if errs > 0 {
		return exitFailed
	}
	return exitOK
}

// jsonProblem is the documented JSON line shape of `catalog validate`.
type jsonProblem struct {
	File     string `json:"file"`
	Doc      int    `json:"doc"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Field    string `json:"field"`
	Message  string `json:"message"`
}

func writeProblem(w io.Writer, format string, p catalog.Problem) {
	switch format {
	case "json":
		b, _ := json.Marshal(jsonProblem{p.File, p.Doc, p.Line, p.Column, string(p.Severity), p.Kind, p.Name, p.Field, p.Message})
		fmt.Fprintf(w, "%s\n", b)
	case "github":
		level := "error"
		if !p.IsError() {
			level = "warning"
		}
		props := "file=" + ghProperty(p.File)
		if p.Line > 0 {
			props += fmt.Sprintf(",line=%d,col=%d", p.Line, max(p.Column, 1))
		}
		title := p.Kind
		if p.Name != "" {
			title = strings.TrimSpace(strings.ToLower(p.Kind) + " " + p.Name)
		}
		if title != "" {
			props += ",title=" + ghProperty(title)
		}
		fmt.Fprintf(w, "::%s %s::%s\n", level, props, ghData(p.Message))
	default:
		fmt.Fprintln(w, p.String())
	}
}

// ghData escapes a GitHub Actions workflow command's message.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func runList(ctx context.Context, e env, args []string) int {
	var f commonFlags
	var kind, owner string
	fs := newFlagSet(e, "catalog ls", "", "List catalog entities, optionally of one kind or owned by a group or user (directly or through child groups).")
	f.register(fs)
	fs.StringVar(&kind, "kind", "", "only entities of this kind (component, api, group, …)")
	fs.StringVar(&owner, "owner", "", "only entities this group or user owns, e.g. group:payments-team")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	a, err := openApp(ctx, e, f, appOptions{shareStore: true, quiet: true})
	if err != nil {
		fmt.Fprintf(e.stderr, "callboard catalog ls: %v\n", err)
		return exitFailed
	}
	defer a.close()
	if _, err := a.sync(ctx); err != nil {
		a.log.Warn("catalog sync", "err", err)
	}
	ix := a.catalog.Index()
	var list []*catalog.Entity
	if owner != "" {
		ref, err := catalog.ParseRef(owner, catalog.KindGroup, catalog.DefaultNamespace)
		if err != nil {
			fmt.Fprintf(e.stderr, "callboard catalog ls: --owner %q: %v\n", owner, err)
			return exitUsage
		}
		if _, ok := ix.ByRef(ref); !ok {
			fmt.Fprintf(e.stderr, "callboard catalog ls: --owner %s is not in the catalog\n", ref.Short())
			return exitFailed
		}
		for _, o := range ix.ByOwnerTransitive(ref.Key()) {
			list = append(list, o.Entity)
		}
	} else {
		list = ix.All()
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REF\tTYPE\tOWNER\tTITLE")
	n := 0
	for _, en := range list {
		if kind != "" && !strings.EqualFold(en.Kind, kind) {
			continue
		}
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", en.Ref().Short(), en.SpecString("type"), en.SpecString("owner"), en.Metadata.Title)
	}
	tw.Flush()
	fmt.Fprintf(e.stderr, "%d entities\n", n)
	return exitOK
}

func runShow(ctx context.Context, e env, args []string) int {
	var f commonFlags
	var format string
	fs := newFlagSet(e, "catalog show", "REF", "Show one entity as Backstage's API would, with its relations. REF is kind:namespace/name, kind:name or a unique name.")
	f.register(fs)
	fs.StringVar(&format, "format", "yaml", "yaml or json")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 || (format != "yaml" && format != "json") {
		fs.Usage()
		return exitUsage
	}
	a, err := openApp(ctx, e, f, appOptions{shareStore: true, quiet: true})
	if err != nil {
		fmt.Fprintf(e.stderr, "callboard catalog show: %v\n", err)
		return exitFailed
	}
	defer a.close()
	if _, err := a.sync(ctx); err != nil {
		a.log.Warn("catalog sync", "err", err)
	}
	es, err := a.catalog.Index().Resolve(fs.Arg(0))
	if err != nil {
		msg := fmt.Sprintf("%s is not in the catalog", fs.Arg(0))
		if s := a.catalog.Index().Suggest(fs.Arg(0), 3); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, ", ") + "?"
		}
		fmt.Fprintf(e.stderr, "callboard catalog show: %s\n", msg)
		return exitFailed
	}
	if len(es) > 1 {
		fmt.Fprintf(e.stderr, "callboard catalog show: %q is ambiguous; use one of:\n", fs.Arg(0))
		for _, en := range es {
			fmt.Fprintf(e.stderr, "  %s\n", en.Ref().Short())
		}
		return exitFailed
	}
	b, err := json.MarshalIndent(es[0], "", "  ")
	if err != nil {
		fmt.Fprintf(e.stderr, "callboard catalog show: %v\n", err)
		return exitFailed
	}
	if format == "json" {
		fmt.Fprintf(e.stdout, "%s\n", b)
		return exitOK
	}
	var generic any
	_ = json.Unmarshal(b, &generic)
	out, err := yaml.Marshal(generic)
	if err != nil {
		fmt.Fprintf(e.stderr, "callboard catalog show: %v\n", err)
		return exitFailed
	}
	e.stdout.Write(out)
	return exitOK
}
