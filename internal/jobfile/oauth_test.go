package jobfile

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOAuthKeys(t *testing.T) {
	f, err := load(t, `defaults:
  target_provider: microsoft365
jobs:
  - name: gmail-to-m365
    source: imaps://alice@example.com
    source_provider: gmail
    source_service_account_key: keys/sa.json
    target: imaps://alice@example.com
    target_oauth_app: true
    target_oauth_client_id: app-id
    target_oauth_client_secret_env: APP_SECRET
    target_password_env: IGNORED
  - name: file-token
    source: imaps://bob@mail.example.com?provider=fastmail
    source_token_file: /run/token
    target: maildir:out
`)
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	j := f.Jobs[0]
	if want := "imaps://alice@example.com@imap.gmail.com?provider=gmail"; j.Source != want {
		t.Errorf("Source = %q, want %q", j.Source, want)
	}
	if want := "imaps://alice@example.com@outlook.office365.com?provider=microsoft365"; j.Target != want {
		t.Errorf("Target = %q, want %q", j.Target, want)
	}
	if !filepath.IsAbs(j.SourceAuth.ServiceAccountKey) || !strings.HasSuffix(j.SourceAuth.ServiceAccountKey, "keys/sa.json") {
		t.Errorf("SourceAuth.ServiceAccountKey = %q, want an absolute path ending in keys/sa.json", j.SourceAuth.ServiceAccountKey)
	}
	if !j.TargetAuth.App || j.TargetAuth.ClientID != "app-id" || j.TargetAuth.ClientSecretEnv != "APP_SECRET" {
		t.Errorf("TargetAuth = %+v, want app access with app-id and APP_SECRET", j.TargetAuth)
	}
	if !j.TargetSecret.IsZero() || !j.SourceSecret.IsZero() {
		t.Errorf("secrets = %+v, %+v; want none: tokens replace passwords", j.SourceSecret, j.TargetSecret)
	}
	j = f.Jobs[1]
	if j.SourceAuth.TokenFile != "/run/token" || !j.TargetAuth.IsZero() {
		t.Errorf("file-token auth = %+v, %+v; want a token file and nothing for the local target", j.SourceAuth, j.TargetAuth)
	}
}

func TestLoadOAuthErrors(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"two token sources", "jobs:\n  - name: a\n    source: imaps://a@h.example\n    source_token_cmd: x\n    source_token_file: y\n    target: maildir:b\n",
			`jobs.yaml:2: source_token_cmd and source_token_file both given in job "a"; use only one`},
		{"unknown provider", "jobs:\n  - name: a\n    source: imaps://a@h.example\n    source_provider: hotmale\n    target: maildir:b\n",
			`jobs.yaml:4: source_provider: want one of fastmail, gmail, icloud, microsoft365, outlook.com, yahoo, got "hotmale"`},
		{"provider conflict", "jobs:\n  - name: a\n    source: imaps://a@h.example?provider=yahoo\n    source_provider: gmail\n    target: maildir:b\n",
			`jobs.yaml:4: source_provider: the URL says provider=yahoo but the job says gmail`},
	}
	for _, tt := range tests {
		_, err := load(t, tt.content)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: Load() = %v, want %q", tt.name, err, tt.want)
		}
	}
}
