package service

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// EditGroup sets a group's context and disclosure controls. It reports
// whether anything changed; an unchanged form writes nothing.
func (s *Service) EditGroup(ctx context.Context, u domain.User, id, group, groupContext, controls string) (*domain.Request, bool, error) {
	changed := false
	if err := domain.CheckGroupText(groupContext, controls); err != nil {
		return nil, false, err
	}
	r, err := s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckEditGroup(u, group); err != nil {
			return nil, err
		}
		g, _ := r.Group(group)
		changed = g.Context != groupContext || g.Controls != controls
		if !changed {
			return nil, nil
		}
		return func(c *change) error {
			if err := c.tx.UpdateGroup(c.ctx, c.r.ID, group, groupContext, controls, c.now); err != nil {
				return fmt.Errorf("edit group %q: %w", group, err)
			}
			return c.audit(domain.EventRequestEdit, "", map[string]string{"group": group, "context": groupContext, "controls": controls})
		}, nil
	})
	return r, changed, err
}

// CreateComment adds a comment to a group. An empty visibility takes the
// default for the user: private for reviewers, public for everyone else.
func (s *Service) CreateComment(ctx context.Context, u domain.User, id, group, text string, vis domain.Visibility) (domain.Comment, error) {
	text = strings.TrimRight(text, " \t\r\n")
	var cm domain.Comment
	// The rules need the request's header and groups only.
	_, err := s.updatePart(ctx, u, id, store.RequestPart{}, func(r *domain.Request) (func(*change) error, error) {
		v := vis
		if v == "" {
			v = r.WritableVisibilities(u)[0]
		}
		if err := r.CheckCreateComment(u, group, text, v); err != nil {
			return nil, err
		}
		return func(c *change) error {
			cm = domain.Comment{Group: group, Text: text, Author: u.Username, Visibility: v, ReviewTurn: c.r.ReviewTurn, CreatedAt: c.now}
			n, err := c.tx.InsertComment(c.ctx, c.r.ID, cm)
			if err != nil {
				return fmt.Errorf("comment on %q: %w", group, err)
			}
			cm.ID = n
			c.applied = true // the part read has no comments to add it to
			return c.audit(domain.EventRequestComment, "", map[string]string{
				"group": group, "comment": text, "visibility": string(v), "comment_id": strconv.FormatInt(n, 10),
			})
		}, nil
	})
	if err != nil {
		return domain.Comment{}, err
	}
	return cm, nil
}

// DeleteComment deletes the user's own comment of the current turn. The
// audit event keeps the comment's visibility, so a private comment's text
// never shows to the author.
func (s *Service) DeleteComment(ctx context.Context, u domain.User, id, group string, commentID int64) error {
	_, err := s.updatePart(ctx, u, id, store.RequestPart{Comments: true}, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckDeleteComment(u, group, commentID); err != nil {
			return nil, err
		}
		cm := findComment(r, commentID)
		return func(c *change) error {
			if err := c.tx.DeleteComment(c.ctx, c.r.ID, commentID); err != nil {
				return fmt.Errorf("delete comment %d: %w", commentID, err)
			}
			c.r.Comments = slices.DeleteFunc(c.r.Comments, func(cm domain.Comment) bool { return cm.ID == commentID })
			if len(c.r.Comments) == 0 {
				c.r.Comments = nil // as the store reads a request without comments
			}
			c.applied = true
			return c.audit(domain.EventRequestCommentDelete, "", map[string]string{
				"group": group, "comment": cm.Text, "visibility": string(cm.Visibility), "comment_id": strconv.FormatInt(commentID, 10),
			})
		}, nil
	})
	return err
}

// PublishComment makes the user's own private comment of the current turn
// public.
func (s *Service) PublishComment(ctx context.Context, u domain.User, id, group string, commentID int64) (domain.Comment, error) {
	var cm domain.Comment
	_, err := s.updatePart(ctx, u, id, store.RequestPart{Comments: true}, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckPublishComment(u, group, commentID); err != nil {
			return nil, err
		}
		cm = findComment(r, commentID)
		return func(c *change) error {
			if err := c.tx.SetCommentVisibility(c.ctx, c.r.ID, commentID, domain.VisibilityPublic); err != nil {
				return fmt.Errorf("publish comment %d: %w", commentID, err)
			}
			cm.Visibility = domain.VisibilityPublic
			for i := range c.r.Comments {
				if c.r.Comments[i].ID == commentID {
					c.r.Comments[i].Visibility = domain.VisibilityPublic
				}
			}
			c.applied = true
			return c.audit(domain.EventRequestCommentPublic, "", map[string]string{
				"group": group, "comment": cm.Text, "comment_id": strconv.FormatInt(commentID, 10),
			})
		}, nil
	})
	if err != nil {
		return domain.Comment{}, err
	}
	return cm, nil
}

func findComment(r *domain.Request, id int64) domain.Comment {
	for _, c := range r.Comments {
		if c.ID == id {
			return c
		}
	}
	return domain.Comment{}
}
