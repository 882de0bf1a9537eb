import { setOwnMember } from '../../core/set-own-member';
import { type ConnectSchema, convertsValues, convertWithSchema } from './convert-with-schema';

/**
 * What a message's Kafka Connect schema asks of its row images, read once per distinct schema: the
 * columns whose values convertWithSchema changes. Only schemas under which converting the projected
 * columns gives what converting the whole payload gives (see {@link envelopePlan}) have a plan.
 */
export interface EnvelopePlan {
  readonly before: ImagePlan;
  readonly after: ImagePlan;
}

/** The columns of one image with a logical type, by name, and those to convert even when not selected. */
export interface ImagePlan {
  readonly converted: ReadonlyMap<string, ConnectSchema>;
  /** Columns whose conversion may throw on some value: checked in every message, as the full decoder does. */
  readonly checked: readonly string[];
}

const NO_CONVERSION: ImagePlan = { converted: new Map(), checked: [] };
/**
 * Logical types whose conversion can fail on some value: a variable scale decimal carries its scale in the
 * value. (A Decimal's scale is in the schema, checked once; the other converters keep what they cannot read.)
 */
const FALLIBLE = new Set(['io.debezium.data.VariableScaleDecimal']);
/** Deeper schemas get no plan (convertWithSchema rejects beyond 64; real ones nest a few levels). */
const MAX_PLAN_DEPTH = 16;
/** Kafka Connect's decimal scale bound in convert-with-schema.ts. */
const MAX_DECIMAL_SCALE = 16_383;

/**
 * The plan of an envelope schema, or undefined when converting only the projected columns could differ
 * from converting the whole payload: a logical type on the envelope, an image, `op` or `source`; a
 * conversion outside the images; an image column converted twice (a duplicate field) or nested deeper
 * than a logical type at its top; a decimal scale the converter rejects.
 *
 * @example
 * envelopePlan({ type: 'struct', fields: [{ type: 'struct', field: 'after', fields: [{ type: 'int32', name: 'io.debezium.time.Date', field: 'day' }] }] })
 */
export function envelopePlan(schema: unknown): EnvelopePlan | undefined {
  if (!isSchema(schema) || convertsValues(schema.name)) return undefined;
  if (schema.type !== 'struct' || !Array.isArray(schema.fields)) {
    return { before: NO_CONVERSION, after: NO_CONVERSION };
  }
  let before = NO_CONVERSION;
  let after = NO_CONVERSION;
  const seen = new Set<string>();
  for (const field of schema.fields as unknown[]) {
    if (!isSchema(field) || typeof field.field !== 'string' || !needsConversion(field)) continue;
    if (seen.has(field.field)) return undefined;
    seen.add(field.field);
    if (field.field === 'before' || field.field === 'after') {
      const image = imagePlan(field);
      if (image === undefined) return undefined;
      if (field.field === 'before') before = image;
      else after = image;
    } else if (!inert(field, 1)) return undefined;
  }
  return { before, after };
}

function imagePlan(schema: ConnectSchema): ImagePlan | undefined {
  if (convertsValues(schema.name)) return undefined;
  if (schema.type !== 'struct' || !Array.isArray(schema.fields)) return NO_CONVERSION;
  const converted = new Map<string, ConnectSchema>();
  const checked: string[] = [];
  const seen = new Set<string>();
  for (const column of schema.fields as unknown[]) {
    if (!isSchema(column) || typeof column.field !== 'string' || !needsConversion(column)) continue;
    // Converted twice by the full decoder; `__proto__` assigned there sets the row's prototype.
    if (seen.has(column.field) || column.field === '__proto__') return undefined;
    seen.add(column.field);
    if (convertsValues(column.name)) {
      if (column.name === 'org.apache.kafka.connect.data.Decimal' && !validScale(column)) return undefined;
      converted.set(column.field, column);
      if (FALLIBLE.has(column.name!)) checked.push(column.field);
    } else if (!inert(column, 2)) return undefined;
  }
  return { converted, checked };
}

/** Converting a value under this schema leaves it as it is and cannot fail. */
function inert(schema: unknown, depth: number): boolean {
  if (!isSchema(schema)) return true;
  if (depth > MAX_PLAN_DEPTH || convertsValues(schema.name)) return false;
  if (schema.type === 'struct' && Array.isArray(schema.fields)) {
    return (schema.fields as unknown[]).every(
      (field) =>
        !isSchema(field) ||
        typeof field.field !== 'string' ||
        !needsConversion(field) ||
        inert(field, depth + 1),
    );
  }
  if (schema.type === 'array' && schema.items) {
    return !isSchema(schema.items) || !needsConversion(schema.items) || inert(schema.items, depth + 1);
  }
  return true;
}

/** As convert-with-schema.ts decides which fields to visit. */
function needsConversion(schema: ConnectSchema): boolean {
  return convertsValues(schema.name) || schema.type === 'struct' || schema.type === 'array';
}

function validScale(schema: ConnectSchema): boolean {
  const scale = Number(schema.parameters?.['scale'] ?? 0);
  return Number.isInteger(scale) && Math.abs(scale) <= MAX_DECIMAL_SCALE;
}

function isSchema(value: unknown): value is ConnectSchema {
  return typeof value === 'object' && value !== null;
}

/**
 * Convert the columns of a projected image as convertWithSchema converts them in the whole payload, and
 * the plan's checked columns (read into `checks`) for their errors only. Throws what convertWithSchema throws.
 */
export function convertImage(
  row: Record<string, unknown>,
  plan: ImagePlan,
  checks: Readonly<Record<string, unknown>> | undefined,
): void {
  if (plan.converted.size === 0) return;
  for (const name of Object.keys(row)) {
    const schema = plan.converted.get(name);
    const value = row[name];
    if (schema !== undefined && value !== null && value !== undefined) {
      setOwnMember(row, name, convertWithSchema(value, schema));
    }
  }
  if (checks === undefined) return;
  for (const name of plan.checked) {
    if (Object.hasOwn(row, name)) continue;
    const value = checks[name];
    if (value !== null && value !== undefined) convertWithSchema(value, plan.converted.get(name));
  }
}
