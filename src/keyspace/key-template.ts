import { compileKeyRenderer, type KeyRenderer } from './compile-key-renderer';
import { KEY_SEPARATORS } from './encode-key-value';

/** Placeholder names of a key template, as a union type: `PlaceholderNames<'a:{x}:{y}'>` is `'x' | 'y'`. */
export type PlaceholderNames<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PlaceholderNames<Rest>
  : never;

/** One segment of a template: literal text, a separator, or a placeholder. */
export type TemplateSegment =
  | { kind: 'literal'; text: string }
  | { kind: 'separator'; text: string }
  | { kind: 'placeholder'; name: string };

/** A parsed key template such as `user:{id}`. */
export interface KeyTemplate {
  /** The template as written. */
  readonly source: string;
  /** Its segments, in order. */
  readonly segments: readonly TemplateSegment[];
  /** Placeholder names, in order of first appearance. */
  readonly placeholders: readonly string[];
}

const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const SEPARATORS: ReadonlySet<string> = new Set(KEY_SEPARATORS);

/**
 * Parse a key template. Returns an error message naming the problem when the template is not usable.
 *
 * @example
 * parseKeyTemplate('user:{id}') // { template: { placeholders: ['id'], ... } }
 */
export function parseKeyTemplate(source: string): { template: KeyTemplate } | { error: string } {
  if (source.length === 0) return { error: 'is empty' };
  const segments: TemplateSegment[] = [];
  const placeholders: string[] = [];
  let literal = '';
  const flushLiteral = () => {
    if (literal) segments.push({ kind: 'literal', text: literal });
    literal = '';
  };
  for (let index = 0; index < source.length; index++) {
    const char = source[index]!;
    if (char === '}') return { error: `has an unmatched '}' at position ${index}` };
    if (SEPARATORS.has(char)) {
      flushLiteral();
      segments.push({ kind: 'separator', text: char });
      continue;
    }
    if (char !== '{') {
      literal += char;
      continue;
    }
    const end = source.indexOf('}', index);
    if (end < 0) return { error: `has an unclosed '{' at position ${index}` };
    const name = source.slice(index + 1, end);
    if (!PLACEHOLDER_NAME.test(name)) return { error: `has an invalid placeholder name '{${name}}'` };
    if (literal || !isSegmentBoundary(source[end + 1])) {
      return {
        error: `placeholder {${name}} must fill a whole segment: put one of ${KEY_SEPARATORS.join(' ')} on both sides`,
      };
    }
    if (placeholders.includes(name)) return { error: `uses placeholder {${name}} twice` };
    placeholders.push(name);
    segments.push({ kind: 'placeholder', name });
    index = end;
  }
  flushLiteral();
  return { template: { source, segments, placeholders } };
}

function isSegmentBoundary(char: string | undefined): boolean {
  return char === undefined || SEPARATORS.has(char);
}

const renderers = new WeakMap<KeyTemplate, KeyRenderer>();

/**
 * Render a template with the values in `params` (placeholder name -> value, read by their JavaScript type)
 * through {@link compileKeyRenderer}. Returns the missing placeholder names instead when a value is null,
 * undefined or ''; throws `CDC_INVALID_KEY_PARAMS` for a value no key can hold (an object, an untyped Date).
 *
 * @example
 * renderKeyTemplate(template, { id: 42 }) // { key: 'user:42' }
 */
export function renderKeyTemplate(
  template: KeyTemplate,
  params: Readonly<Record<string, unknown>>,
): { key: string } | { missing: string[] } {
  let render = renderers.get(template);
  if (!render) {
    render = compileKeyRenderer(template);
    renderers.set(template, render);
  }
  const key = render(params);
  return typeof key === 'string' ? { key } : { missing: missingPlaceholders(template, params) };
}

/**
 * The placeholders of `template` whose value names no row (null, undefined or '').
 *
 * @example
 * missingPlaceholders(template, { id: '' }) // ['id']
 */
export function missingPlaceholders(
  template: KeyTemplate,
  params: Readonly<Record<string, unknown>>,
): string[] {
  return template.placeholders.filter((name) => {
    const value = params[name];
    return value === undefined || value === null || value === '';
  });
}

/**
 * True when two templates could ever render the same key: same separators in the same places, and at
 * every other segment at least one placeholder or equal literals.
 */
export function templatesMayCollide(a: KeyTemplate, b: KeyTemplate): boolean {
  if (a.segments.length !== b.segments.length) return false;
  return a.segments.every((left, index) => {
    const right = b.segments[index]!;
    if (left.kind === 'placeholder' || right.kind === 'placeholder') {
      return left.kind !== 'separator' && right.kind !== 'separator';
    }
    return left.kind === right.kind && left.text === right.text;
  });
}
