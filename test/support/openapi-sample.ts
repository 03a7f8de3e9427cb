import { randomUUID } from 'node:crypto';

type Schema = Record<string, any>;

/**
 * Makes a value that satisfies a JSON schema from the OpenAPI document: the schema's example if it has one,
 * else the least value of each required property. Enough to get a request past validation.
 */
export function sampleOf(schema: Schema | undefined, doc: Schema): unknown {
  if (!schema) return undefined;
  if (schema.$ref) return sampleOf(resolveRef(schema.$ref, doc), doc);
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(schema[key])) {
      const branch = schema[key].find((s: Schema) => s.type !== 'null') ?? schema[key][0];
      return sampleOf(branch, doc);
    }
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) out[name] = sampleOf(schema.properties?.[name], doc);
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sampleOf(schema.items, doc));
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return true;
    case 'string':
      return stringSample(schema);
    default:
      return undefined;
  }
}

function stringSample(schema: Schema): string {
  switch (schema.format) {
    case 'email':
      return `sample-${randomUUID().slice(0, 8)}@example.com`;
    case 'uuid':
      return randomUUID();
    case 'date-time':
      return new Date().toISOString();
    case 'date':
      return new Date().toISOString().slice(0, 10);
    default:
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  }
}

function resolveRef(ref: string, doc: Schema): Schema {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: Schema, part) => node?.[part], doc);
}

/** Top-level properties of a body schema whose strings have one of these formats (uuid: ids; date: days). */
export function propertiesOfFormat(schema: Schema | undefined, doc: Schema, formats: string[]): string[] {
  if (!schema) return [];
  if (schema.$ref) return propertiesOfFormat(resolveRef(schema.$ref, doc), doc, formats);
  const hasFormat = (s: Schema) => formats.includes(s.format) || (s.anyOf ?? []).some((b: Schema) => formats.includes(b.format));
  return Object.entries(schema.properties ?? {})
    .filter(([, s]) => hasFormat(s as Schema))
    .map(([name]) => name);
}

/** Top-level properties of a body schema that hold ids (uuid format). */
export const uuidProperties = (schema: Schema | undefined, doc: Schema) => propertiesOfFormat(schema, doc, ['uuid']);

/** The schema of a route's JSON body in the OpenAPI document. */
export const bodySchema = (doc: Schema, route: { method: string; url: string }): Schema | undefined =>
  doc.paths?.[openapiPath(route.url)]?.[route.method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;

/** A route's query parameters in the OpenAPI document. */
export const queryParameters = (doc: Schema, route: { method: string; url: string }): Schema[] =>
  ((doc.paths?.[openapiPath(route.url)]?.[route.method.toLowerCase()]?.parameters ?? []) as Schema[]).filter((p) => p.in === 'query');

/** A Fastify route path as the OpenAPI document spells it (`:id` becomes `{id}`). */
export const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** A JSON body that passes the route's schema, from the OpenAPI document; undefined when it takes none. */
export const bodySample = (doc: Schema, route: { method: string; url: string }) => sampleOf(bodySchema(doc, route), doc);
