package kafkaio

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"

	"github.com/claimscreen/claimscreen/internal/access"
)

// ErrNoAuthorizer is returned by the ACL calls of a cluster that has no
// authorizer configured (authorizer.class.name): it keeps no ACLs.
var ErrNoAuthorizer = errors.New("the Kafka cluster has no authorizer (authorizer.class.name is not set): it keeps no ACLs")

// aclOps are the operations claimscreen writes ACLs for.
var aclOps = map[kafka.ACLOperationType]string{kafka.ACLOperationTypeRead: access.Read, kafka.ACLOperationTypeWrite: access.Write}

// entry is an ACL as kafka-go writes it: a literal allow rule for any
// host. Deletion filters take the same fields.
func entry(a access.ACL) kafka.ACLEntry {
	rt, op := kafka.ResourceTypeTopic, kafka.ACLOperationTypeRead
	if a.Resource == access.Group {
		rt = kafka.ResourceTypeGroup
	}
	if a.Operation == access.Write {
		op = kafka.ACLOperationTypeWrite
	}
	return kafka.ACLEntry{ResourceType: rt, ResourceName: a.Name, ResourcePatternType: kafka.PatternTypeLiteral, Principal: a.Principal,
		Host: "*", Operation: op, PermissionType: kafka.ACLPermissionTypeAllow}
}

// authError says what an authorization error from the admin calls means.
func authError(what string, err error) error {
	switch {
	case errors.Is(err, kafka.SecurityDisabled):
		return ErrNoAuthorizer
	case errors.Is(err, kafka.ClusterAuthorizationFailed):
		return fmt.Errorf("%s: refused by the brokers: the Kafka principal this command connects as (kafka-sasl-user) may not manage ACLs and users: make it a super user, or give it ALTER and DESCRIBE on the cluster: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ACLs are the literal allow rules in force on topics and groups, as far
// as claimscreen writes them (READ and WRITE); others are left out.
func (c *Conn) ACLs(ctx context.Context) ([]access.ACL, error) {
	res, err := c.client.DescribeACLs(ctx, &kafka.DescribeACLsRequest{Filter: kafka.ACLFilter{
		ResourceTypeFilter: kafka.ResourceTypeAny, ResourcePatternTypeFilter: kafka.PatternTypeAny,
		Operation: kafka.ACLOperationTypeAny, PermissionType: kafka.ACLPermissionTypeAny}})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return nil, authError("describe ACLs", err)
	}
	var out []access.ACL
	for _, r := range res.Resources {
		var kind string
		switch r.ResourceType {
		case kafka.ResourceTypeTopic:
			kind = access.Topic
		case kafka.ResourceTypeGroup:
			kind = access.Group
		default:
			continue
		}
		if r.PatternType != kafka.PatternTypeLiteral {
			continue
		}
		for _, a := range r.ACLs {
			op := aclOps[a.Operation]
			if op == "" || a.PermissionType != kafka.ACLPermissionTypeAllow || a.Host != "*" {
				continue
			}
			out = append(out, access.ACL{Principal: a.Principal, Resource: kind, Name: r.ResourceName, Operation: op})
		}
	}
	return access.Sort(out), nil
}

// CreateACLs creates allow rules. It returns those it created; on an error
// some may have been created (the caller deletes them to roll back).
func (c *Conn) CreateACLs(ctx context.Context, acls []access.ACL) ([]access.ACL, error) {
	if len(acls) == 0 {
		return nil, nil
	}
	req := &kafka.CreateACLsRequest{}
	for _, a := range acls {
		req.ACLs = append(req.ACLs, entry(a))
	}
	res, err := c.client.CreateACLs(ctx, req)
	if err != nil {
		return nil, authError("create ACLs", err)
	}
	var made []access.ACL
	var first error
	refused := 0
	for i, e := range res.Errors {
		if e != nil {
			if refused++; first == nil {
				first = authError("create ACL "+acls[i].String(), e)
			}
		} else if i < len(acls) {
			made = append(made, acls[i])
		}
	}
	if refused > 1 {
		return made, fmt.Errorf("%w (and %d more ACLs refused)", first, refused-1)
	}
	return made, first
}

// DeleteACLs deletes exactly these allow rules.
func (c *Conn) DeleteACLs(ctx context.Context, acls []access.ACL) error {
	if len(acls) == 0 {
		return nil
	}
	req := &kafka.DeleteACLsRequest{}
	for _, a := range acls {
		e := entry(a)
		req.Filters = append(req.Filters, kafka.DeleteACLsFilter{ResourceTypeFilter: e.ResourceType, ResourceNameFilter: e.ResourceName,
			ResourcePatternTypeFilter: e.ResourcePatternType, PrincipalFilter: e.Principal, HostFilter: e.Host, Operation: e.Operation, PermissionType: e.PermissionType})
	}
	res, err := c.client.DeleteACLs(ctx, req)
	if err != nil {
		return authError("delete ACLs", err)
	}
	var errs []error
	for i, r := range res.Results {
		if r.Error != nil {
			errs = append(errs, authError("delete ACL "+acls[i].String(), r.Error))
		}
	}
	return errors.Join(errs...)
}

// scramIterations is the SCRAM-SHA-512 iteration count of the users
// claimscreen creates (Kafka's minimum is 4096).
const scramIterations = 8192

// UserExists reports whether a SCRAM user has a credential.
func (c *Conn) UserExists(ctx context.Context, name string) (bool, error) {
	res, err := c.client.DescribeUserScramCredentials(ctx, &kafka.DescribeUserScramCredentialsRequest{Users: []kafka.UserScramCredentialsUser{{Name: name}}})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return false, authError("describe SCRAM user "+name, err)
	}
	for _, r := range res.Results {
		if r.User == name {
			if errors.Is(r.Error, kafka.ResourceNotFound) {
				return false, nil
			}
			if r.Error != nil {
				return false, authError("describe SCRAM user "+name, r.Error)
			}
			return len(r.CredentialInfos) > 0, nil
		}
	}
	return false, nil
}

// SetUser creates or updates a SCRAM-SHA-512 user's password. The salted
// password is made here (RFC 5802: PBKDF2 with HMAC-SHA-512); the password
// itself never travels to the broker.
func (c *Conn) SetUser(ctx context.Context, name, password string) error {
	salt := make([]byte, 32)
	rand.Read(salt)
	salted, err := pbkdf2.Key(sha512.New, password, salt, scramIterations, sha512.Size)
	if err != nil {
		return fmt.Errorf("SCRAM user %s: %w", name, err)
	}
	res, err := c.client.AlterUserScramCredentials(ctx, &kafka.AlterUserScramCredentialsRequest{Upsertions: []kafka.UserScramCredentialsUpsertion{{
		Name: name, Mechanism: kafka.ScramMechanismSha512, Iterations: scramIterations, Salt: salt, SaltedPassword: salted}}})
	return userResult("set SCRAM user "+name, res, err)
}

// DeleteUser deletes a SCRAM-SHA-512 user; one that does not exist is no
// error.
func (c *Conn) DeleteUser(ctx context.Context, name string) error {
	res, err := c.client.AlterUserScramCredentials(ctx, &kafka.AlterUserScramCredentialsRequest{Deletions: []kafka.UserScramCredentialsDeletion{{
		Name: name, Mechanism: kafka.ScramMechanismSha512}}})
	if err == nil && len(res.Results) == 1 && errors.Is(res.Results[0].Error, kafka.ResourceNotFound) {
		return nil
	}
	return userResult("delete SCRAM user "+name, res, err)
}

func userResult(what string, res *kafka.AlterUserScramCredentialsResponse, err error) error {
	if err != nil {
		return authError(what, err)
	}
	for _, r := range res.Results {
		if r.Error != nil {
			return authError(what, r.Error)
		}
	}
	return nil
}
