import { encodeKeyValue, KEY_SEPARATORS } from './encode-key-value';

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

/**
 * Render a template with the values in `params`. Returns the missing or unusable placeholder names
 * instead when any value cannot be part of a key (null, undefined, an object).
 *
 * @example
 * renderKeyTemplate(template, { id: 42 }) // { key: 'user:42' }
 */
export function renderKeyTemplate(
  template: KeyTemplate,
  params: Readonly<Record<string, unknown>>,
): { key: string } | { missing: string[] } {
  let key = '';
  let missing: string[] | undefined;
  for (const segment of template.segments) {
    if (segment.kind !== 'placeholder') {
      key += segment.text;
      continue;
    }
    const encoded = encodeKeyValue(params[segment.name]);
    if (encoded === undefined) {
      missing ??= [];
      missing.push(segment.name);
    } else {
      // See encode-key-value.ts: a first segment never starts with '_', so no key collides with '_cc:' keys.
      key += key.length === 0 && encoded.startsWith('_') ? `%5F${encoded.slice(1)}` : encoded;
    }
  }
  return missing ? { missing } : { key };
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
