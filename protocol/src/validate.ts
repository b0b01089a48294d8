/** Compiled validators with errors a person can read. */
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

export interface ValidationIssue {
  path: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

export interface Validator<S extends TSchema> {
  check(value: unknown): value is Static<S>;
  validate(value: unknown): Validation<Static<S>>;
}

export function compileValidator<S extends TSchema>(schema: S): Validator<S> {
  const compiled = Compile(schema);
  return {
    check: (value: unknown): value is Static<S> => compiled.Check(value),
    validate(value: unknown): Validation<Static<S>> {
      if (compiled.Check(value)) return { ok: true, value: value as Static<S> };
      const seen = new Set<string>();
      const issues: ValidationIssue[] = [];
      for (const e of compiled.Errors(value)) {
        if (e.keyword === 'boolean') continue; // the additionalProperties echo, said again below
        const issue = { path: e.instancePath || '/', message: e.message };
        const key = `${issue.path} ${issue.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        issues.push(issue);
        if (issues.length >= 5) break;
      }
      return { ok: false, issues };
    },
  };
}

export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
