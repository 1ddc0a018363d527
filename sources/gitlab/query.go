package gitlab

// The GraphQL queries, with the fields the original selects; the tests run each against the
// fake, which validates it against the schema written from GitLab's reference.

const (
	nodeSize      = 100 // projects, merge requests, releases, nested lists of merge requests
	workItemsSize = 50  // work items and their nested lists (GitLab's complexity limit)
	validateBatch = 50  // projects checked per query
)

const userFields = `username
          name`

const noteFields = `id
                body
                createdAt
                updatedAt
                system
                position {
                  newLine
                  oldLine
                  newPath
                  oldPath
                  positionType
                }
                author {
                  username
                  name
                }`

// noteFieldsNoPosition is what the original's group (epic) queries select.
const noteFieldsNoPosition = `id
                body
                createdAt
                updatedAt
                system
                author {
                  username
                  name
                }`

const projectsQuery = `query($cursor: String) {
  projects(membership: true, first: 100, after: $cursor) {
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      id
      name
      path
      fullPath
      description
      visibility
      starCount
      forksCount
      createdAt
      lastActivityAt
      archived
      webUrl
      repository {
        rootRef
      }
      group {
        id
        fullPath
      }
    }
  }
}`

const validateProjectsQuery = `query($projectPaths: [String!]!) {
  projects(fullPaths: $projectPaths, first: 50) {
    nodes {
      fullPath
    }
  }
}`

const mergeRequestsQuery = `query($projectPath: ID!, $cursor: String) {
  project(fullPath: $projectPath) {
    mergeRequests(first: 100, after: $cursor) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        iid
        title
        description
        state
        createdAt
        updatedAt
        mergedAt
        closedAt
        webUrl
        sourceBranch
        targetBranch
        author {
          ` + userFields + `
        }
        assignees(first: 100) {
          pageInfo { hasNextPage endCursor }
          nodes {
            ` + userFields + `
          }
        }
        reviewers(first: 100) {
          pageInfo { hasNextPage endCursor }
          nodes {
            ` + userFields + `
          }
        }
        approvedBy(first: 100) {
          pageInfo { hasNextPage endCursor }
          nodes {
            ` + userFields + `
          }
        }
        mergeUser {
          ` + userFields + `
        }
        labels(first: 100) {
          pageInfo { hasNextPage endCursor }
          nodes {
            title
          }
        }
        userNotesCount
        discussions(first: 100) {
          pageInfo { hasNextPage endCursor }
          nodes {
            id
            notes(first: 100) {
              pageInfo { hasNextPage endCursor }
              nodes {
                ` + noteFields + `
              }
            }
          }
        }
      }
    }
  }
}`

// mrFieldQuery fetches the next pages of one nested list of a merge request.
func mrFieldQuery(field string) string {
	nodes := userFields
	switch field {
	case "labels":
		nodes = "title"
	case "discussions":
		nodes = `id
            notes(first: 100) {
              pageInfo { hasNextPage endCursor }
              nodes {
                ` + noteFields + `
              }
            }`
	}
	return `query($projectPath: ID!, $iid: String!, $cursor: String) {
  project(fullPath: $projectPath) {
    mergeRequest(iid: $iid) {
      ` + field + `(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes {
          ` + nodes + `
        }
      }
    }
  }
}`
}

func workItemsQuery(group bool) string {
	parent, arg := "project", "$projectPath"
	notes := noteFields
	extra := ""
	if group {
		parent, arg = "group", "$groupPath"
		notes = noteFieldsNoPosition
		extra = `
          ... on WorkItemWidgetHierarchy {
            parent {
              id
              iid
              title
            }
            children(first: 50) {
              pageInfo { hasNextPage endCursor }
              nodes {
                id
                iid
                title
              }
            }
          }
          ... on WorkItemWidgetLinkedItems {
            linkedItems(first: 50) {
              pageInfo { hasNextPage endCursor }
              nodes {
                linkId
                linkType
                linkCreatedAt
                linkUpdatedAt
                workItem {
                  id
                  iid
                  title
                }
              }
            }
          }`
	}
	return `query(` + arg + `: ID!, $types: [IssueType!], $cursor: String) {
  ` + parent + `(fullPath: ` + arg + `) {
    workItems(types: $types, first: 50, after: $cursor) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        iid
        title
        state
        createdAt
        updatedAt
        closedAt
        webUrl
        author {
          ` + userFields + `
        }
        workItemType {
          name
        }
        widgets {
          __typename
          ... on WorkItemWidgetDescription {
            description
          }
          ... on WorkItemWidgetAssignees {
            assignees(first: 50) {
              pageInfo { hasNextPage endCursor }
              nodes {
                ` + userFields + `
              }
            }
          }
          ... on WorkItemWidgetLabels {
            labels(first: 50) {
              pageInfo { hasNextPage endCursor }
              nodes {
                title
              }
            }
          }
          ... on WorkItemWidgetNotes {
            discussions(first: 50) {
              pageInfo { hasNextPage endCursor }
              nodes {
                id
                notes(first: 50) {
                  pageInfo { hasNextPage endCursor }
                  nodes {
                    ` + notes + `
                  }
                }
              }
            }
          }` + extra + `
        }
      }
    }
  }
}`
}

// workItemFieldQuery fetches the next pages of a work item's assignees, labels or discussions
// (widget is the widget's type name, field the list).
func workItemFieldQuery(group bool, widget, field string) string {
	parent, arg := "project", "$projectPath"
	notes := noteFields
	if group {
		parent, arg = "group", "$groupPath"
		notes = noteFieldsNoPosition
	}
	nodes := userFields
	switch field {
	case "labels":
		nodes = "title"
	case "discussions":
		nodes = `id
                notes(first: 100) {
                  pageInfo { hasNextPage endCursor }
                  nodes {
                    ` + notes + `
                  }
                }`
	}
	size := "50"
	if field == "discussions" || group {
		size = "100"
	}
	return `query(` + arg + `: ID!, $iid: String!, $workItemType: IssueType!, $cursor: String) {
  ` + parent + `(fullPath: ` + arg + `) {
    workItems(iid: $iid, types: [$workItemType]) {
      nodes {
        widgets {
          __typename
          ... on ` + widget + ` {
            ` + field + `(first: ` + size + `, after: $cursor) {
              pageInfo { hasNextPage endCursor }
              nodes {
                ` + nodes + `
              }
            }
          }
        }
      }
    }
  }
}`
}

const releasesQuery = `query($projectPath: ID!, $cursor: String) {
  project(fullPath: $projectPath) {
    releases(first: 100, after: $cursor) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        tagName
        name
        description
        createdAt
        releasedAt
        author {
          ` + userFields + `
        }
        commit {
          sha
          title
          message
        }
        milestones {
          nodes {
            id
            title
          }
        }
        assets {
          count
          links {
            nodes {
              name
              url
              linkType
            }
          }
        }
      }
    }
  }
}`
