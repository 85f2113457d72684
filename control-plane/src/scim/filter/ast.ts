/** The parsed form of a SCIM filter (RFC 7644 §3.4.2.2) and of a PATCH path (§3.5.2). */

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null;

/** `urn:...:User:name.givenName` is { schema: 'urn:...:User', attr: 'name', sub: 'givenName' }. */
export interface AttrPath {
  schema?: string;
  attr: string;
  sub?: string;
}

export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'pr'; path: AttrPath }
  | { kind: 'compare'; op: CompareOp; path: AttrPath; value: Literal }
  /** `emails[type eq "work"]`: some value of a multi-valued attribute matches the inner filter. */
  | { kind: 'valuePath'; path: AttrPath; filter: Filter };

/** A PATCH path: an attribute, optionally narrowed to the values a filter selects, then a sub-attribute. */
export interface PatchPath {
  path: AttrPath;
  filter?: Filter;
  /** The sub-attribute after `]`, as in `emails[type eq "work"].value`. */
  subAfterFilter?: string;
}
