// The SDK 9.0.1's own crypto code (tools/devnet/node_modules/iexec/dist/esm) and node:crypto, driven by
// sdk_crypto_interop.sh to check our `iexec` against it:
//   sdk-aes-decrypt <key file> <enc file> <out>   decrypt a dataset file with the SDK's forge AES-CBC
//   sdk-aes-encrypt <key file> <in> <out>         the SDK's encryptAes256Cbc (a dataset file, as `dataset encrypt`)
//   make-archive <public key pem> <zip> <out> [legacy]
//                                                 an encrypted result archive as a worker makes it (node:crypto RSA
//                                                 PKCS#1 v1.5 + AES-256-CBC, or the legacy base64 / AES-128-ECB form;
//                                                 JSZip, deflated)
//   sdk-decrypt-archive <private key pem> <archive> <out>
//                                                 the SDK's decryptResult
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, '../../tools/devnet/node_modules');
const esm = join(modules, 'iexec/dist/esm/common');
const require = createRequire(join(modules, 'iexec/package.json'));

const [cmd, ...args] = process.argv.slice(2);
const load = async (p) => import(join(esm, p));

if (cmd === 'sdk-aes-decrypt') {
  const { default: forge } = await load('libs/forge-aes.js');
  const key = Buffer.from(readFileSync(args[0], 'utf8'), 'base64');
  const data = readFileSync(args[1]);
  const d = forge.cipher.createDecipher('AES-CBC', forge.util.createBuffer(key));
  d.start({ iv: forge.util.createBuffer(data.subarray(0, 16)) });
  d.update(forge.util.createBuffer(data.subarray(16)));
  if (!d.finish()) throw new Error('bad padding');
  writeFileSync(args[2], Buffer.from(d.output.getBytes(), 'binary'));
} else if (cmd === 'sdk-aes-encrypt') {
  const { encryptAes256Cbc } = await load('utils/encryption-utils.js');
  writeFileSync(args[2], await encryptAes256Cbc(readFileSync(args[1]), readFileSync(args[0], 'utf8')));
} else if (cmd === 'make-archive') {
  const JSZip = require('jszip');
  const pub = readFileSync(args[0], 'utf8');
  const zip = readFileSync(args[1]);
  const legacy = args[3] === 'legacy';
  const rsa = (b) => crypto.publicEncrypt({ key: pub, padding: crypto.constants.RSA_PKCS1_PADDING }, b);
  const archive = new JSZip();
  if (legacy) {
    const key = crypto.randomBytes(16);
    const c = crypto.createCipheriv('aes-128-ecb', key, null);
    archive.file('aes-key.rsa', rsa(Buffer.from(key.toString('base64'))).toString('base64'));
    archive.file('iexec_out.zip.aes', Buffer.concat([c.update(zip), c.final()]).toString('base64'));
  } else {
    const key = crypto.randomBytes(32);
    const iv = crypto.randomBytes(16);
    const c = crypto.createCipheriv('aes-256-cbc', key, iv);
    archive.file('aes-key.rsa', rsa(key));
    archive.file('iexec_out.zip.aes', Buffer.concat([iv, c.update(zip), c.final()]));
  }
  writeFileSync(args[2], await archive.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
} else if (cmd === 'sdk-decrypt-archive') {
  const { decryptResult } = await load('utils/result-utils.js');
  writeFileSync(args[2], await decryptResult(readFileSync(args[1]), readFileSync(args[0], 'utf8')));
} else {
  console.error(`unknown command ${cmd}`);
  process.exit(2);
}
