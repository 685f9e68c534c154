// Kubernetes manifests checked offline against the API of a current Kubernetes (kubernetes-models:
// the JSON schemas of the 1.34 API, and the type declarations generated with them), strictly.
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './deploy-files.ts';
import type { Obj } from './deploy-files.ts';

/** `apps/v1` → `apps/v1`, `v1` → `v1`: the module folder of kubernetes-models for an apiVersion. */
const moduleOf = (doc: Obj): string => `kubernetes-models/${String(doc.apiVersion)}/${String(doc.kind)}`;

/**
 * The JSON-schema validation of kubernetes-models (types, formats, enums, required fields): each
 * kind's model validates itself. Returns one message per invalid document.
 */
export async function schemaErrors(docs: readonly Obj[]): Promise<string[]> {
  const errors: string[] = [];
  for (const doc of docs) {
    const module = (await import(moduleOf(doc))) as Record<string, new (data: Obj) => { validate(): void }>;
    const Model = module[String(doc.kind)];
    if (!Model) {
      errors.push(`${moduleOf(doc)} has no model ${String(doc.kind)}`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (error) {
      errors.push(`${String(doc.kind)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

/**
 * What kubectl's strict field validation would refuse and a JSON schema without
 * `additionalProperties: false` lets through: a field the kind does not have (a typo, a field of
 * another object, one of a newer Kubernetes). Each document is type-checked as an object literal
 * of its kind's interface from the same package's declarations: an unknown field at any depth is
 * an excess property, and a wrong type or a missing required field an error too.
 */
export function unknownFieldErrors(docs: readonly Obj[]): string[] {
  // Never written: served to the compiler from memory, beside the tests so that node_modules resolves.
  const file = join(ROOT, 'test', '__k8s_manifests__.ts');
  const source = docs
    .map((doc, i) => {
      const kind = String(doc.kind);
      return `import type { I${kind} as T${i} } from '${moduleOf(doc)}';\nexport const doc${i}: T${i} = ${JSON.stringify(doc, null, 2)};\n`;
    })
    .join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const disk = ts.createCompilerHost(options);
  host.getSourceFile = (name, ...rest) =>
    name === file ? ts.createSourceFile(name, source, ts.ScriptTarget.ES2022, true) : disk.getSourceFile(name, ...rest);
  host.fileExists = (name) => name === file || disk.fileExists(name);
  host.readFile = (name) => (name === file ? source : disk.readFile(name));
  const program = ts.createProgram([file], options, host);
  const checked = program.getSourceFile(file);
  return ts.getPreEmitDiagnostics(program, checked).map((d) => {
    const where =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: -1, character: 0 };
    const line = source.split('\n')[where.line]?.trim() ?? '';
    return `${ts.flattenDiagnosticMessageText(d.messageText, ' ')} (at ${line})`;
  });
}
