package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/oauth"
	"github.com/mailferry/mailferry/internal/provider"
	"github.com/mailferry/mailferry/internal/runner"
	"github.com/spf13/cobra"
)

// authOptions are the flags of "mailferry auth login/logout".
type authOptions struct {
	provider         string
	user             string
	clientID         string
	clientSecretFile string
	device           bool
	jobFile, job     string // take the client id and secret from a job of a job file

	// Tests replace the issuer's endpoints and the HTTP client.
	issuer *oauth.Issuer
	hc     *http.Client
	sleep  func(context.Context, time.Duration) error
	// openURL is called with the browser flow's URL besides printing it
	// (tests follow it; nil does nothing).
	openURL func(string)
}

func newAuthCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Sign in to Gmail and Microsoft 365 with OAuth2",
		Long: `Sign in to Google (Gmail, Workspace) or Microsoft (Microsoft 365,
Outlook.com) once; mailferry keeps the refresh token (a 0600 file in the oauth
directory beside the state database) and gets fresh access tokens by itself,
also in the middle of a long run.

Endpoints with ?provider=microsoft365 or outlook.com then log in with the
stored token; ?provider=gmail uses it when one is stored (else an app
password), and any endpoint can ask for it with ?auth=xoauth2.

You need your own registered application (client id): see the README.`,
	}
	cmd.AddCommand(newAuthLoginCmd(g), newAuthLogoutCmd(g), newAuthProvidersCmd(g))
	return cmd
}

func newAuthLoginCmd(g *globals) *cobra.Command {
	var o authOptions
	cmd := &cobra.Command{
		Use:   "login --provider google|microsoft --user ADDRESS",
		Short: "Sign in interactively and store the refresh token",
		Long: `Sign in interactively and store the refresh token.

Microsoft uses the device code flow: open the printed address on any device
and type the code. Google uses the browser flow: open the printed URL on this
machine; the browser comes back to mailferry on 127.0.0.1.

The client id comes from --client-id or MAILFERRY_OAUTH_CLIENT_ID; a client
secret (Google desktop apps have one) from --client-secret-file or
MAILFERRY_OAUTH_CLIENT_SECRET.`,
		Example: `  mailferry auth login --provider microsoft --user alice@example.com --client-id 0000-...
  MAILFERRY_OAUTH_CLIENT_ID=... MAILFERRY_OAUTH_CLIENT_SECRET=... \
    mailferry auth login --provider google --user alice@gmail.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAuthLogin(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.provider, "provider", "", "`NAME` of the sign-in provider: google or microsoft (gmail, microsoft365, outlook.com work too)")
	f.StringVar(&o.user, "user", "", "the account's `ADDRESS`, as in the endpoint URL")
	f.StringVar(&o.clientID, "client-id", "", "the registered application's client `ID` (default $MAILFERRY_OAUTH_CLIENT_ID)")
	f.StringVar(&o.clientSecretFile, "client-secret-file", "", "read the application's client secret from `FILE` (default $MAILFERRY_OAUTH_CLIENT_SECRET)")
	f.StringVar(&o.jobFile, "job-file", "", "take the client id and secret variable from a job of `FILE` (its oauth_client_id and oauth_client_secret_env keys)")
	f.StringVar(&o.job, "job", "", "the job of --job-file, `NAME`; the side whose user is --user is used")
	f.BoolVar(&o.device, "device", false, "use the device code flow even for Google (needs a \"TVs and limited input\" client; Google refuses it for mail scopes)")
	return cmd
}

func newAuthLogoutCmd(g *globals) *cobra.Command {
	var o authOptions
	cmd := &cobra.Command{
		Use:   "logout --provider google|microsoft --user ADDRESS",
		Short: "Forget the stored refresh token of an account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAuthLogout(g, o)
		},
	}
	cmd.Flags().StringVar(&o.provider, "provider", "", "`NAME` of the sign-in provider: google or microsoft")
	cmd.Flags().StringVar(&o.user, "user", "", "the account's `ADDRESS`")
	return cmd
}

func newAuthProvidersCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "providers",
		Short: "List the provider profiles (?provider=NAME) and their settings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			printProviders(g)
			return nil
		},
	}
}

// authStore returns the login store beside the state database.
func authStore(g *globals) (*oauth.Store, error) {
	statePath := g.state
	if statePath == "" {
		p, err := journal.DefaultPath()
		if err != nil {
			return nil, err
		}
		statePath = p
	}
	return &oauth.Store{Dir: oauth.DefaultStoreDir(statePath)}, nil
}

func (o authOptions) check() (oauth.Issuer, error) {
	if o.provider == "" || o.user == "" {
		return oauth.Issuer{}, errors.New("auth: --provider and --user are required")
	}
	is, err := oauth.IssuerByName(o.provider)
	if err != nil {
		return oauth.Issuer{}, err
	}
	if o.issuer != nil {
		is = *o.issuer
	}
	return is, nil
}

func runAuthLogin(ctx context.Context, g *globals, o authOptions) error {
	is, err := o.check()
	if err != nil {
		return usageError(err)
	}
	fromJob, secretEnv, err := o.jobClient()
	if err != nil {
		return usageError(err)
	}
	client := oauth.Client{ID: firstNonEmpty(o.clientID, fromJob, os.Getenv(runner.EnvClientID))}
	if client.ID == "" {
		return usageError(withHint(errors.New("auth: no client id"),
			"register an application with "+is.Name+" (see the README), then pass --client-id or set "+runner.EnvClientID))
	}
	client.Secret = os.Getenv(firstNonEmpty(secretEnv, runner.EnvClientSecret))
	if o.clientSecretFile != "" {
		b, err := os.ReadFile(o.clientSecretFile)
		if err != nil {
			return usageError(fmt.Errorf("auth: read client secret: %w", err))
		}
		client.Secret = strings.TrimSpace(string(b))
	}
	store, err := authStore(g)
	if err != nil {
		return usageError(err)
	}
	hc := o.hc
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	var tok *oauth.Token
	if is.DeviceURL != "" && (is.AuthURL == "" || o.device) {
		tok, err = oauth.DeviceLogin(ctx, hc, is, client, func(dc *oauth.DeviceCode) {
			fmt.Fprintf(g.stderr, "To sign in %s, open %s and enter the code %s\n", o.user, dc.VerificationURI, dc.UserCode)
			fmt.Fprintln(g.stderr, "Waiting for the sign-in to complete...")
		}, o.sleep)
	} else {
		tok, err = oauth.BrowserLogin(ctx, hc, is, client, o.user, func(u string) {
			fmt.Fprintf(g.stderr, "To sign in %s, open this URL in a browser on this machine:\n\n  %s\n\nWaiting for the browser to come back to mailferry...\n", o.user, u)
			if o.openURL != nil {
				go o.openURL(u)
			}
		})
	}
	if err != nil {
		return failedError(fmt.Errorf("auth: sign-in of %s at %s failed: %w", o.user, is.Name, err))
	}
	if tok.RefreshToken == "" {
		return failedError(withHint(fmt.Errorf("auth: %s granted no refresh token for %s", is.Name, o.user),
			"Microsoft: the offline_access scope must be allowed; Google: remove mailferry's access at myaccount.google.com/permissions and sign in again"))
	}
	l := &oauth.Login{Issuer: is.Name, User: o.user, ClientID: client.ID, RefreshToken: tok.RefreshToken,
		TokenURL: is.TokenURL, Updated: time.Now().UTC()}
	if is.Name == oauth.Google.Name {
		l.ClientSecret = client.Secret
	}
	if err := store.Save(l); err != nil {
		return failedError(err)
	}
	fmt.Fprintf(g.stdout, "signed in %s at %s; the refresh token is stored in %s\n", o.user, is.Name, store.Dir)
	return nil
}

func runAuthLogout(g *globals, o authOptions) error {
	is, err := o.check()
	if err != nil {
		return usageError(err)
	}
	store, err := authStore(g)
	if err != nil {
		return usageError(err)
	}
	if err := store.Delete(is.Name, o.user); err != nil {
		return failedError(fmt.Errorf("auth: %w", err))
	}
	fmt.Fprintf(g.stdout, "forgot the %s sign-in of %s\n", is.Name, o.user)
	return nil
}

func printProviders(g *globals) {
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tIMAP\tPOP3\tSIGN-IN\tCONNECTIONS\tMAX SIZE")
	for _, n := range provider.Names() {
		p, _ := provider.Lookup(n)
		signin := "app password"
		switch {
		case p.OAuth != "" && p.Passwords:
			signin = "oauth (" + p.OAuth + ") or app password"
		case p.OAuth != "":
			signin = "oauth (" + p.OAuth + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d MB\n", p.Name, p.IMAPHost, firstNonEmpty(p.POP3Host, "-"), signin, p.Connections, p.MaxMessageSize/provider.MB)
	}
	tw.Flush()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// jobClient reads the client id and the secret's variable from the job
// named by --job-file and --job: from the side whose user is --user, else
// the target's.
func (o authOptions) jobClient() (id, secretEnv string, err error) {
	if o.jobFile == "" {
		return "", "", nil
	}
	f, err := jobfile.Load(o.jobFile)
	if err != nil {
		return "", "", err
	}
	name := o.job
	if name == "" && len(f.Jobs) == 1 {
		name = f.Jobs[0].Name
	}
	j, err := f.Job(name)
	if err != nil {
		return "", "", err
	}
	side := j.TargetAuth
	if src, err := endpoint.Parse(j.Source); err == nil && strings.EqualFold(src.User, o.user) {
		side = j.SourceAuth
	}
	return side.ClientID, side.ClientSecretEnv, nil
}
