package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/claimscreen/claimscreen/internal/access"
	"github.com/claimscreen/claimscreen/internal/config"
	"github.com/claimscreen/claimscreen/internal/kafkaio"
	"github.com/claimscreen/claimscreen/internal/originators"
	"github.com/claimscreen/claimscreen/internal/postgres"
)

// Provisioner makes the Kafka side of the trust model: topics, SCRAM users
// and ACLs, created together or not at all (docs/operations.md,
// "Connecting originators").
type Provisioner struct {
	Conn                    *kafkaio.Conn
	Model                   access.Model
	Partitions, Replication int
}

// Change is what one provisioning step made (or, for Revoke, removed).
type Change struct {
	Topics []string     // topics created
	ACLs   []access.ACL // ACLs created (Revoke: deleted)
	User   string       // SCRAM user created (Revoke: deleted)
	// Password is the created user's password when claimscreen made it up:
	// shown to the operator once, never stored.
	Password string
	// NoAuthorizer: the cluster keeps no ACLs; none were made.
	NoAuthorizer bool
}

// Undo rolls a change back: it deletes the ACLs, the user and the topics
// it created (a topic created here had no messages before).
func (p *Provisioner) Undo(ctx context.Context, c Change) error {
	var errs []error
	if err := p.Conn.DeleteACLs(ctx, c.ACLs); err != nil {
		errs = append(errs, err)
	}
	if c.User != "" {
		if err := p.Conn.DeleteUser(ctx, c.User); err != nil {
			errs = append(errs, err)
		}
	}
	if err := p.Conn.DeleteTopics(ctx, c.Topics); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Apply creates the topics that do not exist, the user (when user is not
// "" and has no credential yet; password "" makes one up) and the ACLs not
// in force. On an error it rolls back what it made and says so.
func (p *Provisioner) Apply(ctx context.Context, topics []string, user, password string, acls []access.ACL) (Change, error) {
	var c Change
	fail := func(err error) (Change, error) {
		if uerr := p.Undo(ctx, c); uerr != nil {
			return Change{}, fmt.Errorf("%w; rolling back failed too, remove by hand: %s: %v", err, describe(c), uerr)
		}
		if made := describe(c); made != "nothing" {
			return Change{}, fmt.Errorf("%w; rolled back (%s deleted)", err, made)
		}
		return Change{}, fmt.Errorf("%w; nothing was created", err)
	}
	have, err := p.Conn.ACLs(ctx)
	switch {
	case errors.Is(err, kafkaio.ErrNoAuthorizer):
		c.NoAuthorizer = true
	case err != nil:
		return fail(err)
	}
	created, err := p.Conn.CreateTopics(ctx, topics, p.Partitions, p.Replication)
	c.Topics = created
	if err != nil {
		return fail(err)
	}
	if user != "" {
		exists, err := p.Conn.UserExists(ctx, user)
		if err != nil {
			return fail(err)
		}
		if !exists {
			pw := password
			if pw == "" {
				pw = newPassword()
			}
			if err := p.Conn.SetUser(ctx, user, pw); err != nil {
				return fail(err)
			}
			c.User = user
			if password == "" {
				c.Password = pw
			}
		}
	}
	if c.NoAuthorizer {
		return c, nil
	}
	missing := p.Model.Diff(acls, have).Missing
	made, err := p.Conn.CreateACLs(ctx, missing)
	c.ACLs = made
	if err != nil {
		return fail(err)
	}
	if err := p.settle(ctx, made, true); err != nil {
		return fail(err)
	}
	return c, nil
}

// settle waits until the brokers show acls in force (present) or gone: a
// change is committed by the controller and reaches the brokers' metadata
// a moment later, and a command returns only once it is in force.
func (p *Provisioner) settle(ctx context.Context, acls []access.ACL, present bool) error {
	if len(acls) == 0 {
		return nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		have, err := p.Conn.ACLs(ctx)
		if err != nil {
			return err
		}
		in := map[access.ACL]bool{}
		for _, a := range have {
			in[a] = true
		}
		waiting := 0
		for _, a := range acls {
			if in[a] != present {
				waiting++
			}
		}
		if waiting == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d ACL changes made were not in force on the brokers after 30s", waiting)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// describe names what a change made, for an error.
func describe(c Change) string {
	var parts []string
	if len(c.Topics) > 0 {
		parts = append(parts, "topics "+strings.Join(c.Topics, ", "))
	}
	if c.User != "" {
		parts = append(parts, "user "+c.User)
	}
	if len(c.ACLs) > 0 {
		parts = append(parts, fmt.Sprintf("%d ACLs", len(c.ACLs)))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

func newPassword() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// AddOriginator makes an originator's notice topic, its own submit topics
// (direct trust), its SCRAM user (when the configuration manages users)
// and its ACLs, all or none.
func (p *Provisioner) AddOriginator(ctx context.Context, e originators.Entry, password string) (Change, error) {
	if err := p.Model.CheckOriginator(e.ID); err != nil {
		return Change{}, err
	}
	notice, submit := p.Model.OriginatorTopics(e.ID, e.NoticeTopic)
	user := ""
	if p.Model.Access.ManageUsers {
		user = p.Model.User(e.ID)
	}
	return p.Apply(ctx, append([]string{notice}, submit...), user, password, p.Model.Originator(e.ID, e.NoticeTopic))
}

// RevokeOriginator deletes every ACL of the originator's principal and the
// service's on its topics: from the next request on, it can neither write
// its submit topics nor read its notices. With managed users its SCRAM
// user goes too. Its topics stay (their messages are the audit trail).
func (p *Provisioner) RevokeOriginator(ctx context.Context, e originators.Entry) (Change, error) {
	have, err := p.Conn.ACLs(ctx)
	if errors.Is(err, kafkaio.ErrNoAuthorizer) {
		return Change{NoAuthorizer: true}, nil
	}
	if err != nil {
		return Change{}, err
	}
	mine := map[access.ACL]bool{}
	for _, a := range p.Model.Originator(e.ID, e.NoticeTopic) {
		mine[a] = true
	}
	who := p.Model.Principal(e.ID)
	var c Change
	for _, a := range have {
		if a.Principal == who || mine[a] {
			c.ACLs = append(c.ACLs, a)
		}
	}
	if err := p.Conn.DeleteACLs(ctx, c.ACLs); err != nil {
		return Change{}, err
	}
	if err := p.settle(ctx, c.ACLs, false); err != nil {
		return Change{}, err
	}
	if p.Model.Access.ManageUsers {
		if err := p.Conn.DeleteUser(ctx, p.Model.User(e.ID)); err != nil {
			return c, err
		}
		c.User = p.Model.User(e.ID)
	}
	return c, nil
}

// Drift is the ACLs in force against those the table calls for.
func (p *Provisioner) Drift(ctx context.Context, active map[string]string) (have []access.ACL, d access.Drift, err error) {
	have, err = p.Conn.ACLs(ctx)
	if err != nil {
		return nil, access.Drift{}, err
	}
	return have, p.Model.Diff(p.Model.Want(active), have), nil
}

// Fix creates the missing ACLs and deletes the extra ones, and returns
// once the brokers have them in force.
func (p *Provisioner) Fix(ctx context.Context, d access.Drift) error {
	if _, err := p.Conn.CreateACLs(ctx, d.Missing); err != nil {
		return err
	}
	if err := p.Conn.DeleteACLs(ctx, d.Extra); err != nil {
		return err
	}
	if err := p.settle(ctx, d.Missing, true); err != nil {
		return err
	}
	return p.settle(ctx, d.Extra, false)
}

// NewProvisioner connects to the brokers of cfg for the trust model's
// topics, users and ACLs.
func NewProvisioner(ctx context.Context, cfg *config.Admin, partitions, replication int) (*Provisioner, error) {
	conn, err := Connect(ctx, cfg.Kafka, cfg.Kafka.Brokers)
	if err != nil {
		return nil, err
	}
	return &Provisioner{Conn: conn, Model: Model(cfg.Access, cfg.Topics, cfg.Consumer.GroupID), Partitions: partitions, Replication: replication}, nil
}

// Report prints a change for the operator: what was made, and a made-up
// password once.
func (c Change) Report(w io.Writer, verb string) {
	for _, t := range c.Topics {
		fmt.Fprintln(w, "created topic", t)
	}
	if c.User != "" {
		fmt.Fprintf(w, "%s SCRAM-SHA-512 user %s\n", verb, c.User)
	}
	if c.Password != "" {
		fmt.Fprintf(w, "password of %s (shown once; hand it to the originator over a secure channel): %s\n", c.User, c.Password)
	}
	for _, a := range c.ACLs {
		fmt.Fprintf(w, "%s ACL %s\n", verb, a)
	}
	if c.NoAuthorizer {
		fmt.Fprintln(w, "note: the Kafka cluster has no authorizer: no ACLs made; every client may read and write every topic (docs/operations.md, \"Connecting originators\")")
	}
}

// OriginatorStore is the originator table's store (postgres.Originators).
type OriginatorStore interface {
	AddOriginator(ctx context.Context, e originators.Entry) error
	DisableOriginator(ctx context.Context, id string) error
	Load(ctx context.Context) (*originators.Table, error)
}

// AddOriginator adds an originator: its topics, user and ACLs (p nil: the
// table only), then its row; if the row cannot be written the Kafka side
// is rolled back. Running services take the row at once (NOTIFY).
func AddOriginator(ctx context.Context, p *Provisioner, reg OriginatorStore, e originators.Entry, password string) (Change, error) {
	var c Change
	if p != nil {
		var err error
		if c, err = p.AddOriginator(ctx, e, password); err != nil {
			return Change{}, fmt.Errorf("originator %s not added: %w", e.ID, err)
		}
	}
	if err := reg.AddOriginator(ctx, e); err != nil {
		if p != nil {
			if uerr := p.Undo(ctx, c); uerr != nil {
				return Change{}, fmt.Errorf("originator %s not added: %w; and rolling back its topics, user and ACLs failed, remove by hand: %s: %v", e.ID, err, describe(c), uerr)
			}
			return Change{}, fmt.Errorf("originator %s not added (its %s rolled back): %w", e.ID, describe(c), err)
		}
		return Change{}, err
	}
	return c, nil
}

// DisableOriginator revokes an originator's ACLs (and user) first, so it
// loses its access before the table says so, then disables its row; a
// failure of the row leaves it active and drifting (acls list shows it).
func DisableOriginator(ctx context.Context, p *Provisioner, reg OriginatorStore, id string) (Change, error) {
	var c Change
	if p != nil {
		t, err := reg.Load(ctx)
		if err != nil {
			return Change{}, err
		}
		e := originators.Entry{ID: id}
		if known, ok := t.Entry(id); ok {
			e = known
		}
		if c, err = p.RevokeOriginator(ctx, e); err != nil {
			return Change{}, fmt.Errorf("revoke %s's access (the table is unchanged): %w", id, err)
		}
	}
	if err := reg.DisableOriginator(ctx, id); err != nil {
		return c, fmt.Errorf("%w (its Kafka access is already revoked: claimscreen acls list shows the drift until it is disabled)", err)
	}
	return c, nil
}

// ActiveOriginators are the active originators of the table file, or else of the
// PostgreSQL table at url: id to its own notice topic ("" for the
// template's).
func ActiveOriginators(ctx context.Context, file, url string) (map[string]string, error) {
	if file != "" {
		t, err := originators.Load(file)
		if err != nil {
			return nil, err
		}
		return t.Active(), nil
	}
	if url == "" {
		return nil, errors.New("no originator table: give --registry FILE or DATABASE_URL (the table says which ACLs are wanted)")
	}
	pool, err := OpenDB(ctx, url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	t, err := postgres.NewOriginators(pool).Load(ctx)
	if err != nil || t == nil { // nil: the table is empty
		return map[string]string{}, err
	}
	return t.Active(), nil
}

// ServiceTopics are the topics topics create makes: review, held, dead
// letters, the shared submit topics (gateway trust), and each originator's
// notice topic and, in direct trust, own submit topics.
func (p *Provisioner) ServiceTopics(active map[string]string) []string {
	t := p.Model.Topics
	topics := []string{t.Review, t.Held, t.DeadLetter}
	if !p.Model.Access.Direct() {
		topics = append(t.Inputs(), topics...)
	}
	for id, own := range active {
		notice, submit := p.Model.OriginatorTopics(id, own)
		topics = append(append(topics, notice), submit...)
	}
	return topics
}

// CreateTopics is topics create: the service's topics and their ACLs for
// the originators named (id to "") and those active in the originator
// table file, when the configuration names one; all or none. It returns
// what was made and how many topics exist.
func CreateTopics(ctx context.Context, cfg *config.Admin, named map[string]string, partitions, replication int) (Change, int, error) {
	active := map[string]string{}
	for id, topic := range named {
		active[id] = topic
	}
	if cfg.Screening.Registry != "" {
		t, err := originators.Load(cfg.Screening.Registry)
		if err != nil {
			return Change{}, 0, err
		}
		for id, topic := range t.Active() {
			active[id] = topic
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	p, err := NewProvisioner(cctx, cfg, partitions, replication)
	if err != nil {
		return Change{}, 0, err
	}
	topics := p.ServiceTopics(active)
	c, err := p.Apply(cctx, topics, "", "", p.Model.Want(active))
	return c, len(topics), err
}

// ACLs is acls list and acls apply: the ACLs in force and their drift
// from what the trust model and the originator table call for, with the
// drift fixed when fix is set.
func ACLs(ctx context.Context, cfg *config.Admin, fix bool) (access.Model, []access.ACL, access.Drift, error) {
	active, err := ActiveOriginators(ctx, cfg.Screening.Registry, cfg.PostgreSQL.URL)
	if err != nil {
		return access.Model{}, nil, access.Drift{}, err
	}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	p, err := NewProvisioner(cctx, cfg, 1, 1)
	if err != nil {
		return access.Model{}, nil, access.Drift{}, err
	}
	have, drift, err := p.Drift(cctx, active)
	if err == nil && fix {
		err = p.Fix(cctx, drift)
	}
	return p.Model, have, drift, err
}

// OriginatorChange is originators add or disable, as the command line
// gives it.
type OriginatorChange struct {
	Entry                   originators.Entry
	Disable                 bool
	TableOnly               bool   // the table only: no topics, users or ACLs
	Password                string // add: the new SCRAM user's password; "": one is made up
	Partitions, Replication int    // of each topic created
}

// ChangeOriginator is originators add and disable on the PostgreSQL
// originator table: the row and, unless TableOnly, its Kafka side
// (AddOriginator, DisableOriginator); what was made or removed is
// reported to out.
func ChangeOriginator(ctx context.Context, cfg *config.Admin, o OriginatorChange, out io.Writer) error {
	pool, err := OpenDB(ctx, cfg.PostgreSQL.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	reg := postgres.NewOriginators(pool)
	var p *Provisioner
	if !o.TableOnly {
		if p, err = NewProvisioner(ctx, cfg, o.Partitions, o.Replication); err != nil {
			return err
		}
	}
	if o.Disable {
		c, err := DisableOriginator(ctx, p, reg, o.Entry.ID)
		c.Report(out, "deleted")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "originator %s disabled; running services reload\n", o.Entry.ID)
		return nil
	}
	c, err := AddOriginator(ctx, p, reg, o.Entry, o.Password)
	if err != nil {
		return err
	}
	c.Report(out, "created")
	fmt.Fprintf(out, "originator %s added; running services reload\n", o.Entry.ID)
	return nil
}
