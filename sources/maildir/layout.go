package maildir

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Layout names how subfolders are stored under the Maildir root.
type Layout string

const (
	// LayoutAuto detects the layout: Maildir++ if the root holds any
	// ".Name" folder, fs otherwise.
	LayoutAuto Layout = ""
	// LayoutMaildirPP is Maildir++: ".Archive.2023" is "Archive/2023".
	LayoutMaildirPP Layout = "maildir++"
	// LayoutFS is the fs layout: "Archive/2023/" is "Archive/2023".
	LayoutFS Layout = "fs"
)

// maxDepth bounds the fs layout walk, against symlink loops.
const maxDepth = 32

// folder is one mailbox of the tree and the directories holding it
// (more than one when, say, both the root and an INBOX/ folder exist).
type folder struct {
	name string
	dirs []string
}

// FolderDir returns the directory that holds mailbox (UTF-8,
// "/"-separated; "" or INBOX is the root) under root in layout, folder
// names encoded in modified UTF-7. LayoutAuto counts as Maildir++. It
// refuses names that the layout cannot represent, such as a '.' inside a
// Maildir++ name, where '.' is the hierarchy separator.
func FolderDir(root string, layout Layout, mailbox string) (string, error) {
	if mailbox == "" || strings.EqualFold(mailbox, "INBOX") {
		return root, nil
	}
	if !utf8.ValidString(mailbox) {
		return "", fmt.Errorf("maildir: mailbox name %q is not valid UTF-8", mailbox)
	}
	parts := strings.Split(mailbox, "/")
	for i, p := range parts {
		switch {
		case p == "" || p == "." || p == "..":
			return "", fmt.Errorf("maildir: mailbox name %q has an empty, \".\" or \"..\" level", mailbox)
		case layout != LayoutFS && strings.Contains(p, "."):
			return "", fmt.Errorf("maildir: mailbox name %q contains '.', the Maildir++ hierarchy separator (hint: use the fs layout)", mailbox)
		case layout == LayoutFS && (p == "cur" || p == "new" || p == "tmp" || p[0] == '.'):
			return "", fmt.Errorf("maildir: mailbox name %q cannot be stored in the fs layout (a level is cur, new, tmp or starts with '.')", mailbox)
		}
		parts[i] = EncodeUTF7(p)
	}
	if layout == LayoutFS {
		return filepath.Join(append([]string{root}, parts...)...), nil
	}
	return filepath.Join(root, "."+strings.Join(parts, ".")), nil
}

// decodeName decodes one on-disk folder name, falling back to the name
// as it is when it is not modified UTF-7 (mutt and mbsync write UTF-8).
func decodeName(s string) string {
	if d, err := DecodeUTF7(s); err == nil {
		return d
	}
	return s
}

// isMaildir reports whether dir holds a cur/ or new/ directory.
func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// detectLayout picks Maildir++ if root holds a ".Name" maildir.
func detectLayout(root string) (Layout, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		n := e.Name()
		if len(n) > 1 && n[0] == '.' && n != ".." && isMaildir(filepath.Join(root, n)) {
			return LayoutMaildirPP, nil
		}
	}
	return LayoutFS, nil
}

// scanFolders lists the mailboxes under root, INBOX first, then by name.
func scanFolders(root string, layout Layout) ([]folder, error) {
	byName := map[string]*folder{}
	var order []string
	add := func(name, dir string) {
		if strings.EqualFold(name, "INBOX") {
			name = "INBOX"
		}
		f := byName[name]
		if f == nil {
			f = &folder{name: name}
			byName[name] = f
			order = append(order, name)
		}
		f.dirs = append(f.dirs, dir)
	}
	if isMaildir(root) {
		add("INBOX", root)
	}
	var err error
	if layout == LayoutFS {
		err = walkFS(root, nil, 0, add)
	} else {
		err = walkMaildirPP(root, add)
	}
	if err != nil {
		return nil, err
	}
	sort.SliceStable(order, func(i, j int) bool {
		if (order[i] == "INBOX") != (order[j] == "INBOX") {
			return order[i] == "INBOX"
		}
		return order[i] < order[j]
	})
	out := make([]folder, len(order))
	for i, n := range order {
		out[i] = *byName[n]
	}
	return out, nil
}

func walkMaildirPP(root string, add func(name, dir string)) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if len(n) < 2 || n[0] != '.' || n == ".." {
			continue
		}
		dir := filepath.Join(root, n)
		if !isMaildir(dir) {
			continue
		}
		parts := strings.Split(n[1:], ".")
		for i, p := range parts {
			parts[i] = decodeName(p)
		}
		add(strings.Join(parts, "/"), dir)
	}
	return nil
}

func walkFS(dir string, parents []string, depth int, add func(name, dir string)) error {
	if depth >= maxDepth {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == "cur" || n == "new" || n == "tmp" || n[0] == '.' {
			continue
		}
		sub := filepath.Join(dir, n)
		if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
			continue
		}
		path := append(parents[:len(parents):len(parents)], decodeName(n))
		if isMaildir(sub) {
			add(strings.Join(path, "/"), sub)
		}
		if err := walkFS(sub, path, depth+1, add); err != nil {
			return err
		}
	}
	return nil
}
