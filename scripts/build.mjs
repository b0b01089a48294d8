#!/usr/bin/env node
/**
 * Bundles the processes (`pnpm start`, `pnpm demo`, `pnpm carecircle`, `carecircle-sim`) into
 * `dist/` so that a start runs JavaScript instead of transpiling TypeScript: ESM for Node 20 with
 * linked source maps (run with `node --enable-source-maps`). The workspace packages
 * (`@carecircle/*`, whose exports point at TypeScript) are bundled in; npm packages stay
 * external and are loaded from the installed `node_modules`.
 *
 *   node scripts/build.mjs [--outdir DIR] [--quiet]
 *
 * Three things a bundle in `dist/` needs besides its code:
 * - Its npm packages. pnpm gives each workspace package its own `node_modules` and the root has
 *   none of them, so a bare `import 'fastify'` from `dist/` would not resolve. The build links
 *   each package the bundled code imports or declares, from the workspace package that uses it,
 *   into `<outdir>/node_modules`; Node then resolves them as it does for the source (two
 *   versions of one package under one name fail the build).
 * - Files the code opens next to itself (`new URL('./sqlite.worker.mjs', import.meta.url)`): in
 *   a bundle that URL is the bundle's, so each such file is copied next to the bundles; a
 *   referenced file that does not exist fails the build.
 * - The repository root, for paths the source finds from its own location (the dashboard's
 *   build): defined as CARECIRCLE_BUNDLE_ROOT, relative to the bundle's directory.
 *
 * Files are written under a temporary name and renamed, so a process starting from `dist/`
 * while another build runs reads either the old file or the new one, never half of one.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Output name (without `.mjs`) → entry point. */
const ENTRIES = {
  server: 'server/src/main.ts',
  carecircle: 'server/src/cli/main.ts',
  demo: 'simulators/src/demo/main.ts',
  'carecircle-sim': 'simulators/src/cli.ts',
};

/** `new URL('./file', import.meta.url)`: a file the module opens next to itself. */
const SIBLING_URL = /new URL\(\s*(['"])\.\/([^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g;

const WORKSPACE_SCOPE = '@carecircle/';
const BUILTINS = new Set(builtinModules);

class BuildError extends Error {}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** The installed directory of `name` as Node would find it from `fromDir`, real path. */
function findPackage(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return null;
  }
}

/** The nearest package.json above `file`: its directory and contents. */
function owningPackage(file) {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return { dir, manifest: JSON.parse(readFileSync(manifest, 'utf8')) };
    if (dirname(dir) === dir) return null;
  }
}

/** Marks npm packages external and notes who imports them; bundles the workspace packages. */
function externalPackages(imported) {
  return {
    name: 'external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith(WORKSPACE_SCOPE)) return undefined;
        if (args.path.startsWith('node:') || BUILTINS.has(args.path)) return { external: true };
        imported.push({ name: packageName(args.path), importer: args.importer, resolveDir: args.resolveDir });
        return { path: args.path, external: true };
      });
    },
  };
}

/** Writes through a temporary file and a rename (atomic on POSIX). */
function writeAtomic(file, contents) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

function linkAtomic(link, target) {
  mkdirSync(dirname(link), { recursive: true });
  const rel = relative(dirname(link), target);
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === rel) return;
  } catch {
    // not there yet
  }
  const tmp = `${link}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  symlinkSync(rel, tmp, 'dir');
  renameSync(tmp, link);
}

/** name → real directory, from the imports seen and the bundled workspace packages' dependencies. */
function packagesToLink(imported, inputs) {
  const links = new Map();
  const add = (name, fromDir, why) => {
    const dir = findPackage(name, fromDir);
    if (!dir) throw new BuildError(`${why} needs "${name}", which is not installed (run pnpm install)`);
    const seen = links.get(name);
    if (seen && seen.dir !== dir) {
      throw new BuildError(
        `"${name}" resolves to two installs (${relative(ROOT, seen.dir)} for ${seen.why}, ${relative(ROOT, dir)} for ${why}); ` +
          'a bundle can link one: align the versions',
      );
    }
    if (!seen) links.set(name, { dir, why });
  };
  for (const { name, importer, resolveDir } of imported) add(name, resolveDir, relative(ROOT, importer));
  // Packages loaded by name at run time rather than imported (pino's `pino-pretty` transport).
  const workspaces = new Map();
  for (const input of inputs) {
    const owner = owningPackage(resolve(ROOT, input));
    if (owner?.manifest.name?.startsWith(WORKSPACE_SCOPE)) workspaces.set(owner.dir, owner.manifest);
  }
  for (const [dir, manifest] of workspaces) {
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      if (!name.startsWith(WORKSPACE_SCOPE)) add(name, dir, manifest.name);
    }
  }
  return links;
}

/** Output name → source file, for every `new URL('./…', import.meta.url)` in the bundled sources. */
function siblingFiles(inputs) {
  const files = new Map();
  for (const input of inputs) {
    const source = resolve(ROOT, input);
    for (const [, , name] of readFileSync(source, 'utf8').matchAll(SIBLING_URL)) {
      const from = resolve(dirname(source), name);
      if (!existsSync(from)) {
        throw new BuildError(`${input} opens ./${name} next to itself, and ${relative(ROOT, from)} does not exist`);
      }
      const seen = files.get(name);
      if (seen && seen !== from) {
        throw new BuildError(`two sources open ./${name}: ${relative(ROOT, seen)} and ${relative(ROOT, from)}`);
      }
      files.set(name, from);
    }
  }
  return files;
}

/** Removes links in `<outdir>/node_modules` that this build did not make (a dropped dependency). */
function pruneLinks(modulesDir, links) {
  if (!existsSync(modulesDir)) return;
  for (const entry of readdirSync(modulesDir)) {
    const names = entry.startsWith('@')
      ? readdirSync(join(modulesDir, entry)).map((scoped) => `${entry}/${scoped}`)
      : [entry];
    for (const name of names) {
      // `.tmp`: a link another build is making right now.
      if (!links.has(name) && !name.endsWith('.tmp')) rmSync(join(modulesDir, name), { force: true, recursive: true });
    }
  }
}

export async function build({ outdir = join(ROOT, 'dist'), quiet = false } = {}) {
  const started = performance.now();
  const imported = [];
  const result = await esbuild
    .build({
      absWorkingDir: ROOT,
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([out, entry]) => [out, join(ROOT, entry)])),
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      // Stack traces need only the mappings; the sources sit in the repository.
      sourcesContent: false,
      define: { CARECIRCLE_BUNDLE_ROOT: JSON.stringify(relative(outdir, ROOT) || '.') },
      plugins: [externalPackages(imported)],
      metafile: true,
      write: false,
      logLevel: 'silent',
    })
    .catch((err) => {
      const messages = esbuild.formatMessagesSync(err.errors ?? [], { kind: 'error' });
      throw new BuildError(messages.join('') || String(err));
    });
  if (result.warnings.length > 0) {
    throw new BuildError(esbuild.formatMessagesSync(result.warnings, { kind: 'warning' }).join(''));
  }

  const inputs = Object.keys(result.metafile.inputs);
  const links = packagesToLink(imported, inputs);
  const siblings = siblingFiles(inputs);

  for (const file of result.outputFiles) {
    // The entries' `#!/usr/bin/env -S npx tsx` would run the bundle through tsx again.
    const text = file.path.endsWith('.mjs') ? file.text.replace(/^#!.*\n/, '#!/usr/bin/env node\n') : file.contents;
    writeAtomic(file.path, text);
  }
  for (const [name, from] of siblings) writeAtomic(join(outdir, name), readFileSync(from));
  const modulesDir = join(outdir, 'node_modules');
  for (const [name, { dir }] of links) linkAtomic(join(modulesDir, ...name.split('/')), dir);
  pruneLinks(modulesDir, links);

  const bundles = Object.keys(ENTRIES).map((name) => `${name}.mjs`);
  if (!quiet) {
    const shown = relative(process.cwd(), outdir) || '.';
    const sizes = bundles.map((b) => `${b} ${Math.round(readFileSync(join(outdir, b)).length / 1024)} KiB`);
    const copied = siblings.size > 0 ? `; copied ${[...siblings.keys()].join(', ')}` : '';
    process.stderr.write(
      `built ${shown}/: ${sizes.join(', ')} (each with its .map)${copied}; ` +
        `linked ${links.size} packages; ${Math.round(performance.now() - started)} ms\n`,
    );
  }
  return { outdir, bundles, siblings: [...siblings.keys()], packages: [...links.keys()] };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' }, quiet: { type: 'boolean' } } });
  try {
    await build({ outdir: values.outdir ? resolve(values.outdir) : undefined, quiet: values.quiet ?? false });
  } catch (err) {
    process.stderr.write(`build failed: ${err instanceof BuildError ? err.message : (err?.stack ?? err)}\n`);
    process.exit(1);
  }
}
