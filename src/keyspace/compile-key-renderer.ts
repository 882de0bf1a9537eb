import { CdcCacheError } from '../errors';
import type { ColumnType } from './column-type';
import { encodeKeyValue } from './encode-key-value';
import type { KeyTemplate } from './key-template';

/**
 * Renders one key or tag from a row: the text (prefix included), `null` when a placeholder's value is null,
 * undefined or '' (no entry can exist for it), `undefined` when a column is absent from the row (an
 * incomplete image: it outweighs a null one). Throws `CDC_INVALID_KEY_PARAMS` naming the placeholder when a
 * value cannot be a key value of its column's type.
 */
export type KeyRenderer = (row: Readonly<Record<string, unknown>>) => string | null | undefined;

/**
 * A compiled renderer and the row columns it reads: the rendering is a function of those columns' values
 * alone, so two rows holding the same values in them (`Object.is`, none undefined) render the same text.
 */
export interface CompiledKeyRenderer extends KeyRenderer {
  /** The row columns the placeholders read, in template order. */
  readonly columns: readonly string[];
}

/** Options of {@link compileKeyRenderer}. */
export interface KeyRendererOptions {
  /** Text put before the rendered template (the key prefix; '' for a tag). */
  readonly prefix?: string;
  /** Placeholder -> the row column that fills it; default: the placeholder's own name. */
  readonly columns?: Readonly<Record<string, string>>;
  /** Placeholder -> its declared column type; an undeclared placeholder is read by its JavaScript type. */
  readonly types?: Readonly<Record<string, ColumnType>>;
}

interface Part {
  readonly placeholder: string;
  readonly column: string;
  readonly type: ColumnType | undefined;
  /** The first segment of the template: a leading '_' is encoded so no key starts with '_cc:'. */
  readonly first: boolean;
}

/**
 * Compile a key or tag template into THE renderer: the only code that turns values into a key, used by the
 * SDK (`get`, `keyOf`, tags), the worker's planner and `cdc-cache explain`, so they cannot drift. Compile
 * once per template, prefix and source; rendering is then one pass over the parts.
 *
 * The value filling the template's FIRST segment has a leading `_` encoded as `%5F`: a rendered template
 * never starts with `_cc:` (templates whose literal start does are rejected by defineKeyspace), so no row
 * value can name a key inside the internal namespace `<prefix>_cc:` (generations, tags, checkpoints).
 *
 * @example
 * const render = compileKeyRenderer(parseTemplate('{tenant}:user/{id}'), { prefix: 'shop:' })
 * render({ tenant: '_cc', id: 7 }) // 'shop:%5Fcc:user/7'
 * render({ tenant: 'a', id: null }) // null
 */
export function compileKeyRenderer(
  template: KeyTemplate,
  options: KeyRendererOptions = {},
): CompiledKeyRenderer {
  const parts: (string | Part)[] = options.prefix ? [options.prefix] : [];
  template.segments.forEach((segment, index) => {
    if (segment.kind === 'placeholder') {
      parts.push({
        placeholder: segment.name,
        column: options.columns?.[segment.name] ?? segment.name,
        type: options.types?.[segment.name],
        first: index === 0,
      });
    } else if (typeof parts[parts.length - 1] === 'string') {
      parts[parts.length - 1] += segment.text;
    } else {
      parts.push(segment.text);
    }
  });
  const render: KeyRenderer = (row) => {
    let out = '';
    let missing: null | undefined | false = false;
    for (const part of parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const value = row[part.column];
      let encoded: string | undefined;
      try {
        encoded = encodeKeyValue(value, part.type);
      } catch (error) {
        throw placeholderError(error, template, part);
      }
      if (encoded === undefined) {
        if (value === undefined && !(part.column in row)) missing = undefined;
        else if (missing === false) missing = null;
        continue;
      }
      out += part.first && encoded.charCodeAt(0) === 0x5f /* _ */ ? `%5F${encoded.slice(1)}` : encoded;
    }
    return missing === false ? out : missing;
  };
  const columns = parts.flatMap((part) => (typeof part === 'string' ? [] : [part.column]));
  return Object.assign(render, { columns });
}

function placeholderError(error: unknown, template: KeyTemplate, part: Part): CdcCacheError {
  const message = (error as Error).message;
  const column = ` (column '${part.column}')`;
  return new CdcCacheError(
    'CDC_INVALID_KEY_PARAMS',
    `{${part.placeholder}}${column} of '${template.source}': ${message}`,
    {
      cause: error,
      details: { placeholder: part.placeholder, column: part.column, type: part.type?.name ?? null },
    },
  );
}
