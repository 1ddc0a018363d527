package github

import (
	"fmt"
	"strings"
)

// The GraphQL queries, with the fields the original selects (the documents are built from
// them), sent to GitHub's GraphQL API. The tests run every one against the fake, which
// validates it against GitHub's published schema.

const (
	nodeSize    = 100 // the original's NODE_SIZE
	reviewsSize = 45  // the original's REVIEWS_COUNT
	batchSize   = 15  // repositories looked up per query
)

const repoFields = `
      id
      updatedAt
      name
      nameWithOwner
      url
      description
      visibility
      primaryLanguage {
        name
      }
      defaultBranchRef {
        name
      }
      isFork
      stargazerCount
      watchers {
        totalCount
      }
      forkCount
      createdAt
      isArchived`

const viewerQuery = `query {
  viewer {
    login
  }
}`

var userReposQuery = `query ($login: String!, $cursor: String) {
  user(login: $login) {
    repositories(first: ` + itoa(nodeSize) + `, after: $cursor) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {` + repoFields + `
      }
    }
  }
}`

var orgReposQuery = `query ($orgName: String!, $cursor: String) {
  organization(login: $orgName) {
    repositories(first: ` + itoa(nodeSize) + `, after: $cursor) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {` + repoFields + `
      }
    }
  }
}`

// batchRepoQuery looks up n repositories in one query, aliased repo0…repoN-1, with variables
// repo<i>_owner and repo<i>_name.
func batchRepoQuery(n int) string {
	var decl, body []string
	for i := 0; i < n; i++ {
		decl = append(decl, fmt.Sprintf("$repo%d_owner: String!, $repo%d_name: String!", i, i))
		body = append(body, fmt.Sprintf("  repo%d: repository(owner: $repo%d_owner, name: $repo%d_name) {%s\n  }", i, i, i, repoFields))
	}
	return "query (" + strings.Join(decl, ", ") + ") {\n" + strings.Join(body, "\n") + "\n}"
}

const pageInfo = `pageInfo {
          hasNextPage
          endCursor
        }`

// Fields of a pull request, as listed and as found by a search.
func pullFields(withAuthor bool) string {
	return itemHead + `
        mergedAt` + authorField(withAuthor) + assigneesAndLabels() + `
        reviewRequests(first: ` + itoa(nodeSize) + `) {
          ` + pageInfo + `
          nodes {
            requestedReviewer {
              ... on User {
                login
              }
            }
          }
        }` + commentsField() + `
        reviews(first: ` + itoa(reviewsSize) + `) {
          ` + pageInfo + `
          nodes {
            id
            author {
              login
            }
            state
            body
            comments(first: ` + itoa(nodeSize) + `) {
              ` + pageInfo + `
              nodes {
                body
              }
            }
          }
        }`
}

// Fields of an issue, as listed and as found by a search.
func issueFields(withAuthor bool) string {
	return itemHead + authorField(withAuthor) + assigneesAndLabels() + commentsField()
}

// itemHead is what issues and pull requests have in common before their own fields.
const itemHead = `
        id
        updatedAt
        number
        url
        createdAt
        closedAt
        title
        body
        state`

// authorField selects the author; listings do, searches do not (as the original's).
func authorField(withAuthor bool) string {
	if !withAuthor {
		return ""
	}
	return `
        author {
          login
        }`
}

func assigneesAndLabels() string {
	return `
        assignees(first: ` + itoa(nodeSize) + `) {
          ` + pageInfo + `
          nodes {
            login
          }
        }
        labels(first: ` + itoa(nodeSize) + `) {
          ` + pageInfo + `
          nodes {
            name
            description
          }
        }`
}

func commentsField() string {
	return `
        comments(first: ` + itoa(nodeSize) + `) {
          ` + pageInfo + `
          nodes {
            author {
              login
            }
            body
          }
        }`
}

var pullRequestsQuery = `query ($owner: String!, $name: String!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequests(first: ` + itoa(nodeSize) + `, after: $cursor) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {` + pullFields(true) + `
      }
    }
  }
}`

var issuesQuery = `query ($owner: String!, $name: String!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    issues(first: ` + itoa(nodeSize) + `, after: $cursor) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {` + issueFields(true) + `
      }
    }
  }
}`

// searchQuery is the search an advanced rule runs for pull requests (pull) or issues; its nodes
// carry no author, as the original's. The original selects both kinds in one query, but its
// two fragments both select state, typed IssueState! in one and PullRequestState! in the
// other, which GraphQL's validation (fields of one response name must have the same shape)
// refuses; a rule's search is of one kind, so one fragment is sent.
func searchQuery(pull bool) string {
	frag := "... on Issue {" + issueFields(false)
	if pull {
		frag = "... on PullRequest {" + pullFields(false)
	}
	return `query ($filter_query: String!, $cursor: String) {
  search(query: $filter_query, type: ISSUE, first: ` + itoa(nodeSize) + `, after: $cursor) {
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      ` + frag + `
      }
    }
  }
}`
}

// remainingQuery fetches the next pages of one nested list of a pull request or an issue
// (objectType pullRequest or issue). Labels of later pages carry no description, as the
// original's query has none.
func remainingQuery(objectType, field string) string {
	var nodes string
	size := nodeSize
	switch field {
	case "comments":
		nodes = "author {\n            login\n          }\n          body"
	case "labels":
		nodes = "name"
	case "assignees":
		nodes = "login"
	case "reviewRequests":
		nodes = "requestedReviewer {\n            ... on User {\n              login\n            }\n          }"
	case "reviews":
		nodes = "id\n          author {\n            login\n          }\n          state\n          body\n          comments(first: " + itoa(nodeSize) +
			") {\n            pageInfo {\n              hasNextPage\n              endCursor\n            }\n            nodes {\n              body\n            }\n          }"
	}
	return `query ($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    ` + objectType + `(number: $number) {
      ` + field + `(first: ` + itoa(size) + `, after: $cursor) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          ` + nodes + `
        }
      }
    }
  }
}`
}

var orgMembersQuery = `query ($orgName: String!, $cursor: String) {
  organization(login: $orgName) {
    membersWithRole(first: ` + itoa(nodeSize) + `, after: $cursor) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          login
          name
          email
          updatedAt
        }
      }
    }
  }
}`

var collaboratorsQuery = `query ($orgName: String!, $repoName: String!, $cursor: String) {
  repository(owner: $orgName, name: $repoName) {
    collaborators(first: ` + itoa(nodeSize) + `, after: $cursor) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          login
          email
        }
      }
    }
  }
}`

func itoa(n int) string { return fmt.Sprint(n) }
