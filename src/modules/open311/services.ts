import { CATEGORIES, type Field } from '../catalogue/definition.js';
import { inputNamesOf } from '../forms/fields.js';
import { questionsPage, type Category } from '../reports/service.js';
import { List, type Value } from './format.js';

/**
 * Report It's categories as Open311 services, and each one's questions as its attributes.
 * The codes are the ones `readSentAnswers` reads (attribute[code]): a question's name, or
 * for a question in parts (an address) one attribute per part, named as the page names its
 * inputs.
 */

export function serviceOf(category: Category): Value {
  return {
    service_code: category.code,
    service_name: category.name,
    description: category.summary,
    metadata: questionsPage(category).fields.some((f) => f.type !== 'file'),
    type: 'realtime',
    keywords: category.keywords.join(','),
    group: CATEGORIES[category.category],
  };
}

type Datatype = 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';

interface Attribute {
  code: string;
  datatype: Datatype;
  required: boolean;
  description: string;
  datatypeDescription: string;
  values?: { key: string; name: string }[];
}

export function serviceDefinition(category: Category): Value {
  const fields = questionsPage(category).fields;
  const attributes = fields.flatMap((field) => attributesOf(field, fields));
  return {
    service_code: category.code,
    attributes: new List(
      'attribute',
      attributes.map((a, index) => ({
        variable: true,
        code: a.code,
        datatype: a.datatype,
        required: a.required,
        datatype_description: a.datatypeDescription,
        order: index + 1,
        description: a.description,
        ...(a.values
          ? {
              values: new List(
                'value',
                a.values.map((v) => ({ key: v.key, name: v.name })),
              ),
            }
          : {}),
      })),
    ),
  };
}

const PART_LABELS: Record<string, { label: string; optional?: boolean; datatype?: Datatype }> = {
  line1: { label: 'address line 1' },
  line2: { label: 'address line 2', optional: true },
  town: { label: 'town or city' },
  postcode: { label: 'postcode' },
  description: { label: 'where it is, in words' },
  lat: { label: 'latitude', optional: true, datatype: 'number' },
  lng: { label: 'longitude', optional: true, datatype: 'number' },
};

function attributesOf(field: Field, all: Field[]): Attribute[] {
  // A question asked only after some answer is required only then: the description says when.
  const condition = field.when;
  const asked = condition && all.find((f) => f.name === condition.field);
  const when = condition
    ? ` Only asked when the answer to “${asked?.label ?? condition.field}” ${
        condition.in
          ? `is one of ${condition.in.join(', ')}`
          : condition.equals !== undefined
            ? `is ${String(condition.equals === true ? 'yes' : condition.equals)}`
            : `is not ${String(condition.notEquals === true ? 'yes' : condition.notEquals)}`
      }.`
    : '';
  const required = !field.optional && !condition;
  const base = {
    code: field.name,
    required,
    description: field.hint ? `${field.label} ${field.hint}` : field.label,
  };
  const describe = (text: string) => `${text}${field.optional ? ' Optional.' : ''}${when}`;
  switch (field.type) {
    case 'text':
      return [
        {
          ...base,
          datatype: 'string',
          datatypeDescription: describe(`Up to ${String(field.maxLength)} characters.`),
        },
      ];
    case 'textarea':
      return [
        {
          ...base,
          datatype: 'text',
          datatypeDescription: describe(`Up to ${String(field.maxLength)} characters.`),
        },
      ];
    case 'email':
      return [{ ...base, datatype: 'string', datatypeDescription: describe('An email address.') }];
    case 'phone':
      return [
        { ...base, datatype: 'string', datatypeDescription: describe('A UK telephone number.') },
      ];
    case 'number': {
      const range = [
        field.integer ? 'A whole number' : 'A number',
        field.min !== undefined ? `from ${String(field.min)}` : '',
        field.max !== undefined ? `up to ${String(field.max)}` : '',
      ].filter(Boolean);
      return [
        {
          ...base,
          datatype: 'number',
          datatypeDescription: describe(
            `${range.join(' ')}${field.suffix ? ` (${field.suffix})` : ''}.`,
          ),
        },
      ];
    }
    case 'date':
      return [
        {
          ...base,
          datatype: 'datetime',
          datatypeDescription: describe('A date, like 2026-12-07.'),
        },
      ];
    case 'radios':
    case 'select':
      return [
        {
          ...base,
          datatype: 'singlevaluelist',
          datatypeDescription: describe('One of the values.'),
          values: field.options.map((o) => ({ key: o.value, name: o.text })),
        },
      ];
    case 'yesno':
      return [
        {
          ...base,
          datatype: 'singlevaluelist',
          datatypeDescription: describe('yes or no.'),
          values: [
            { key: 'yes', name: 'Yes' },
            { key: 'no', name: 'No' },
          ],
        },
      ];
    case 'checkboxes':
      return [
        {
          ...base,
          datatype: 'multivaluelist',
          datatypeDescription: describe(
            `${field.minSelected ? `At least ${String(field.minSelected)}` : 'One or more'} of the values, each as attribute[${field.name}][].`,
          ),
          values: field.options.map((o) => ({ key: o.value, name: o.text })),
        },
      ];
    case 'declaration':
      return [
        {
          ...base,
          datatype: 'singlevaluelist',
          datatypeDescription: describe('confirmed, to agree.'),
          values: [{ key: 'confirmed', name: field.text }],
        },
      ];
    case 'address':
    case 'location':
      return inputNamesOf(field).map((code) => {
        const part = PART_LABELS[code.slice(field.name.length + 1)] ?? { label: code };
        return {
          code,
          datatype: part.datatype ?? 'string',
          required: required && !part.optional,
          description: `${field.label}: ${part.label}`,
          datatypeDescription: describe(
            `${part.datatype === 'number' ? 'A number.' : 'Text.'}${part.optional && !field.optional ? ' Optional.' : ''}`,
          ),
        };
      });
    case 'file':
      // Files come with a report as media_url, not as an answer: not an attribute.
      return [];
  }
}
