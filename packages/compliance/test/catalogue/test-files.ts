/**
 * Which test files claim a control: a `*.test.ts` file under one of the test roots whose text holds
 * the id as a name prefix (`[CTL-12]`) or as a whole quoted string (`'CTL-12'`), the forms of test
 * names and tags, including tags a file computes (firmware attacks.test.ts picks 'CTL-12' or
 * 'CTL-13' per case). A mention in a comment or a describe title (`(CTL-12)`) claims nothing. This
 * is the static half of the traceability proof; the run itself decides pass or fail.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const isDirectory = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;

/** The test roots under `root` that exist: packages/<name>/test, apps/<name>/test and scripts/test. */
function testDirectories(root: string): string[] {
  const under = (parent: string): string[] => (isDirectory(join(root, parent)) ? readdirSync(join(root, parent)).map((name) => join(root, parent, name, 'test')) : []);
  return [...under('packages'), ...under('apps'), join(root, 'scripts', 'test')].filter(isDirectory);
}

/** Every `*.test.ts` under the test roots, repository-relative with `/`, outside node_modules and `exclude`. */
export function testFiles(root: string, exclude: readonly string[] = []): string[] {
  return testDirectories(root)
    .flatMap((dir) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name)))
    .map((path) => relative(root, path).split(sep).join('/'))
    .filter((path) => path.endsWith('.test.ts') && !path.split('/').includes('node_modules') && !exclude.some((dir) => path.startsWith(`${dir}/`)))
    .sort();
}

/** For each id, the files of `files` (repository-relative, under `root`) that claim it. */
export function filesClaiming(root: string, files: readonly string[], ids: readonly string[]): Map<string, string[]> {
  const texts = files.map((file) => [file, readFileSync(join(root, file), 'utf8')] as const);
  return new Map(
    ids.map((id) => {
      // Ids are letters, digits and '-' (vitest.tags.ts), nothing a RegExp treats specially.
      const claim = new RegExp(`\\[${id}\\]|(['"\`])${id}\\1`, 'u');
      return [id, texts.filter(([, text]) => claim.test(text)).map(([file]) => file)];
    }),
  );
}
