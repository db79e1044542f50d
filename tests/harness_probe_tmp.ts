import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
const ajv = new Ajv({ strict: false });
addFormats.default(ajv);
console.log(typeof addFormats, typeof (addFormats as any).default);
