// Oracle case generator: ethers 6 computes the expected value of random inputs for every
// Ethereum primitive the C++ code implements; oracle_test (C++) must reproduce all of them.
//
//   node gen.mjs --out cases.json [--count 1000] [--seed N]
//
// The seed is printed and stored in the output so a failing run can be replayed exactly.
import { writeFileSync } from 'node:fs';
import crypto from 'node:crypto';
let ethers;
try {
  ethers = await import('ethers');
} catch {
  console.error('oracle: the npm package ethers is not installed in tests/oracle; run scripts/install-deps.sh '
    + '(it runs npm ci --prefix tests/oracle)');
  process.exit(1);
}
const {
  AbiCoder, Interface, SigningKey, Transaction, TypedDataEncoder, Wallet,
  decryptKeystoreJsonSync, encodeRlp, encryptKeystoreJsonSync, getAddress, hashMessage, hexlify,
  keccak256, toUtf8Bytes, version: ethersVersion,
} = ethers;

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const COUNT = Number(args.count ?? 1000);
const SEED = Number(args.seed ?? (Date.now() % 2147483647));
if (!args.out) throw new Error('usage: node gen.mjs --out <file> [--count N] [--seed N]');

// xorshift128+ seeded PRNG: reproducible random inputs for a given seed.
let s0 = BigInt(SEED) | 1n, s1 = 0x9E3779B97F4A7C15n ^ BigInt(SEED);
const M64 = (1n << 64n) - 1n;
function next64() {
  let x = s0; const y = s1; s0 = y;
  x ^= (x << 23n) & M64; x ^= x >> 17n; x ^= y ^ (y >> 26n); s1 = x;
  return (s0 + s1) & M64;
}
for (let i = 0; i < 20; i++) next64();
const rint = (n) => Number(next64() % BigInt(n));               // [0, n)
const chance = (p) => rint(1000000) < p * 1000000;
const pick = (arr) => arr[rint(arr.length)];
function rbytes(n) { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = rint(256); return b; }
const rhex = (n) => hexlify(rbytes(n));
function rbig(bits) {                                              // uniform-ish with random magnitude
  const nbits = rint(bits + 1);
  let v = 0n; for (let i = 0; i < nbits; i += 64) v = (v << 64n) | next64();
  return nbits === 0 ? 0n : v & ((1n << BigInt(nbits)) - 1n);
}
const ru256 = () => pick([0n, 1n, (1n << 256n) - 1n, rbig(256), rbig(64), rbig(16)]);
function rkey() { for (;;) { const k = rhex(32); try { new SigningKey(k); return k; } catch { /* out of range */ } } }
const raddr = () => (chance(0.15) ? '0x0000000000000000000000000000000000000000' : getAddress(rhex(20)));
const rlen = () => pick([0, 1, 2, 31, 32, 33, 55, 56, 57, rint(100), rint(300), rint(2000)]);
function rstring() {
  const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '{', 'é', '€', '😀', '\u0000', '\n', 'iexec_args'];
  let s = ''; const n = rint(20); for (let i = 0; i < n; i++) s += pick(alphabet);
  return s;
}

// ---------------------------------------------------------------------------------------------
const keccak = [];
for (let i = 0; i < COUNT; i++) {
  const data = i % 5 === 4 ? hexlify(toUtf8Bytes(rstring())) : rhex(rlen());
  keccak.push({ data, hash: keccak256(data) });
}

const eip191 = [];
for (let i = 0; i < COUNT; i++) {
  const key = rkey();
  const message = i % 2 ? rhex(32) : rhex(rlen());
  const hash = hashMessage(Uint8Array.from(Buffer.from(message.slice(2), 'hex')));
  const sig = new SigningKey(key).sign(hash);
  eip191.push({ privateKey: key, address: new Wallet(key).address, message, hash, signature: sig.serialized,
                compact: sig.compactSerialized });
}

// ---------------------------------------------------------------------------------------------
// iExec orders (EIP-712, protocol.md §3).
const ORDER_TYPES = {
  apporder: ['AppOrder', [['app', 'address'], ['appprice', 'uint256'], ['volume', 'uint256'], ['tag', 'bytes32'],
    ['datasetrestrict', 'address'], ['workerpoolrestrict', 'address'], ['requesterrestrict', 'address'],
    ['salt', 'bytes32']]],
  datasetorder: ['DatasetOrder', [['dataset', 'address'], ['datasetprice', 'uint256'], ['volume', 'uint256'],
    ['tag', 'bytes32'], ['apprestrict', 'address'], ['workerpoolrestrict', 'address'],
    ['requesterrestrict', 'address'], ['salt', 'bytes32']]],
  workerpoolorder: ['WorkerpoolOrder', [['workerpool', 'address'], ['workerpoolprice', 'uint256'],
    ['volume', 'uint256'], ['tag', 'bytes32'], ['category', 'uint256'], ['trust', 'uint256'],
    ['apprestrict', 'address'], ['datasetrestrict', 'address'], ['requesterrestrict', 'address'],
    ['salt', 'bytes32']]],
  requestorder: ['RequestOrder', [['app', 'address'], ['appmaxprice', 'uint256'], ['dataset', 'address'],
    ['datasetmaxprice', 'uint256'], ['workerpool', 'address'], ['workerpoolmaxprice', 'uint256'],
    ['requester', 'address'], ['volume', 'uint256'], ['tag', 'bytes32'], ['category', 'uint256'],
    ['trust', 'uint256'], ['beneficiary', 'address'], ['callback', 'address'], ['params', 'string'],
    ['salt', 'bytes32']]],
};
function rtag() {
  return pick([
    '0x' + '0'.repeat(64), '0x' + '0'.repeat(63) + '1', '0x' + '0'.repeat(63) + '3', '0x' + '0'.repeat(63) + '5',
    '0x' + '0'.repeat(63) + '9', '0x' + '0'.repeat(61) + '100', '0x' + '0'.repeat(61) + '109', rhex(32),
  ]);
}
function randomOrder(kind) {
  const [, fields] = ORDER_TYPES[kind];
  const o = {};
  for (const [name, type] of fields) {
    if (type === 'address') o[name] = raddr();
    else if (type === 'uint256') o[name] = ru256().toString();
    else if (name === 'tag') o[name] = rtag();
    else if (type === 'bytes32') o[name] = rhex(32);
    else if (type === 'string') o[name] = chance(0.5) ? JSON.stringify({ iexec_args: rstring() }) : rstring();
  }
  return o;
}
const orders = [];
for (let i = 0; i < COUNT; i++) {
  const kind = Object.keys(ORDER_TYPES)[i % 4];
  const [typeName, fields] = ORDER_TYPES[kind];
  const types = { [typeName]: fields.map(([name, type]) => ({ name, type })) };
  const domain = { name: 'iExecODB', version: '5.0.0',
    chainId: pick([1n, 134n, 31337n, 42161n, 421614n, 65535n, rbig(64), rbig(256)]).toString(),
    verifyingContract: getAddress(rhex(20)) };
  const order = randomOrder(kind);
  const key = rkey();
  const orderHash = TypedDataEncoder.hash(domain, types, order);
  orders.push({
    kind, order, domain, privateKey: key,
    domainSeparator: TypedDataEncoder.hashDomain(domain),
    structHash: TypedDataEncoder.from(types).hash(order),
    orderHash,
    sign: new SigningKey(key).sign(orderHash).serialized,
    operationStructHash: (() => {                    // XOrderOperation(order, operation) struct hash
      const opTypes = { ...types, [typeName + 'Operation']: [{ name: 'order', type: typeName },
        { name: 'operation', type: 'uint256' }] };
      return TypedDataEncoder.from(opTypes).hash({ order, operation: i % 8 < 4 ? 0 : 1 });
    })(),
    operation: i % 8 < 4 ? 0 : 1,
  });
}

// ---------------------------------------------------------------------------------------------
// Generic EIP-712 typed data with random struct graphs (eth_signTypedData_v4 semantics).
const ATOMIC = ['uint256', 'uint8', 'uint64', 'int256', 'int32', 'address', 'bool', 'bytes32', 'bytes4', 'bytes1',
  'bytes', 'string'];
function valueFor(type, types) {
  const arr = type.match(/^(.*)\[(\d*)\]$/);
  if (arr) { const n = arr[2] === '' ? rint(4) : Number(arr[2]); return Array.from({ length: n }, () => valueFor(arr[1], types)); }
  if (types[type]) return Object.fromEntries(types[type].map((f) => [f.name, valueFor(f.type, types)]));
  let m;
  if ((m = type.match(/^uint(\d+)$/))) return rbig(Number(m[1])).toString();
  if ((m = type.match(/^int(\d+)$/))) { const b = Number(m[1]); const v = rbig(b - 1); return (chance(0.5) ? -v : v).toString(); }
  if (type === 'address') return raddr();
  if (type === 'bool') return chance(0.5);
  if ((m = type.match(/^bytes(\d+)$/))) return rhex(Number(m[1]));
  if (type === 'bytes') return rhex(rint(80));
  if (type === 'string') return rstring();
  throw new Error('unknown type ' + type);
}
const typed = [];
for (let i = 0; i < COUNT; i++) {
  const nstruct = 1 + rint(4);
  const names = Array.from({ length: nstruct }, (_, k) => ['Mail', 'Person', 'Asset', 'Zeta', 'Alpha', 'Order'][k] + (k === 0 ? '' : 'T'));
  const types = {};
  for (let k = nstruct - 1; k >= 0; k--) {                 // struct k may reference structs > k (acyclic)
    const nf = 1 + rint(5);
    types[names[k]] = Array.from({ length: nf }, (_, f) => {
      let t = k + 1 < nstruct && chance(0.35) ? names[k + 1 + rint(nstruct - k - 1)] : pick(ATOMIC);
      if (chance(0.2)) t += pick(['[]', '[2]', '[1]']);
      return { name: 'f' + f, type: t };
    });
  }
  // Only keep types reachable from the primary (ethers rejects unused types).
  const reach = new Set([names[0]]); const stack = [names[0]];
  while (stack.length) for (const f of types[stack.pop()]) { const b = f.type.replace(/\[\d*\]$/, ''); if (types[b] && !reach.has(b)) { reach.add(b); stack.push(b); } }
  for (const n of Object.keys(types)) if (!reach.has(n)) delete types[n];
  const domainFields = pick([
    { name: 'Ether Mail', version: '1', chainId: '1', verifyingContract: getAddress(rhex(20)) },
    { name: 'iExec Gateway', version: '1', chainId: rbig(32).toString() },
    { name: rstring(), chainId: '5', salt: rhex(32) },
    { verifyingContract: getAddress(rhex(20)) },
  ]);
  const message = valueFor(names[0], types);
  const domainTypes = Object.keys(domainFields).map((name) => ({ name,
    type: { name: 'string', version: 'string', chainId: 'uint256', verifyingContract: 'address', salt: 'bytes32' }[name] }));
  const data = { types: { EIP712Domain: domainTypes, ...types }, primaryType: names[0], domain: domainFields, message };
  typed.push({
    typedData: data,
    encodeType: TypedDataEncoder.from(types).encodeType(names[0]),
    domainSeparator: TypedDataEncoder.hashDomain(domainFields),
    structHash: TypedDataEncoder.from(types).hash(message),
    digest: TypedDataEncoder.hash(domainFields, types, message),
  });
}

// ---------------------------------------------------------------------------------------------
function ritem(depth) {
  if (depth < 4 && chance(0.3)) return Array.from({ length: rint(depth === 0 ? 6 : 4) }, () => ritem(depth + 1));
  return pick([rhex(0), rhex(1), hexlify(Uint8Array.of(rint(0x80))), rhex(rlen()), rhex(55), rhex(56)]);
}
const rlp = [];
for (let i = 0; i < COUNT; i++) { const item = ritem(0); rlp.push({ item, encoded: encodeRlp(item) }); }

// ---------------------------------------------------------------------------------------------
function rabiType(depth) {
  let t;
  if (depth < 3 && chance(0.15)) t = '(' + Array.from({ length: 1 + rint(3) }, () => rabiType(depth + 1)).join(',') + ')';
  else {
    const b = 8 * (1 + rint(32));
    t = pick([`uint${b}`, `int${b}`, 'uint256', 'address', 'bool', `bytes${1 + rint(32)}`, 'bytes', 'string']);
  }
  if (depth < 3 && chance(0.2)) t += pick(['[]', `[${1 + rint(3)}]`]);
  return t;
}
function splitTuple(inner) {
  const out = []; let d = 0, cur = '';
  for (const c of inner) { if (c === ',' && d === 0) { out.push(cur); cur = ''; continue; } if (c === '(') d++; if (c === ')') d--; cur += c; }
  if (cur) out.push(cur); return out;
}
function rabiValue(t) {
  let m;
  if ((m = t.match(/^(.*)\[(\d*)\]$/))) { const n = m[2] === '' ? rint(4) : Number(m[2]); return Array.from({ length: n }, () => rabiValue(m[1])); }
  if (t.startsWith('(')) return splitTuple(t.slice(1, -1)).map(rabiValue);
  if ((m = t.match(/^uint(\d+)$/))) return rbig(Number(m[1])).toString();
  if ((m = t.match(/^int(\d+)$/))) { const v = rbig(Number(m[1]) - 1); return (chance(0.5) ? -v - 1n : v).toString(); }
  if (t === 'address') return raddr();
  if (t === 'bool') return chance(0.5);
  if ((m = t.match(/^bytes(\d+)$/))) return rhex(Number(m[1]));
  if (t === 'bytes') return rhex(rlen() % 100);
  if (t === 'string') return rstring();
  throw new Error(t);
}
const coder = AbiCoder.defaultAbiCoder();
const abi = [];
for (let i = 0; i < COUNT; i++) {
  const types = Array.from({ length: rint(5) }, () => rabiType(0));
  const values = types.map(rabiValue);
  abi.push({ types, values, encoded: coder.encode(types, values) });
}

// matchOrders calldata with random orders (the call the CLI and the scheduler's tests send).
const A = '(address app,uint256 appprice,uint256 volume,bytes32 tag,address datasetrestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt,bytes sign)';
const D = '(address dataset,uint256 datasetprice,uint256 volume,bytes32 tag,address apprestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt,bytes sign)';
const W = '(address workerpool,uint256 workerpoolprice,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address apprestrict,address datasetrestrict,address requesterrestrict,bytes32 salt,bytes sign)';
const R = '(address app,uint256 appmaxprice,address dataset,uint256 datasetmaxprice,address workerpool,uint256 workerpoolmaxprice,address requester,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address beneficiary,address callback,string params,bytes32 salt,bytes sign)';
const matchSig = `matchOrders(${A},${D},${W},${R})`;
const iface = new Interface([`function ${matchSig}`]);
const matchOrders = [];
for (let i = 0; i < COUNT; i++) {
  const signed = (kind) => ({ ...randomOrder(kind), sign: pick(['0x', rhex(65), rhex(64)]) });
  const args4 = [signed('apporder'), signed('datasetorder'), signed('workerpoolorder'), signed('requestorder')];
  matchOrders.push({ signature: matchSig, args: args4, calldata: iface.encodeFunctionData('matchOrders', args4) });
}

// ---------------------------------------------------------------------------------------------
const txs = [];
for (let i = 0; i < COUNT; i++) {
  const key = rkey();
  const type = i % 2 ? 2 : 0;
  const fields = {
    type, chainId: pick([1n, 31337n, 42161n, 421614n, 65535n, rbig(32)]),
    nonce: Number(rbig(40)), gasLimit: rbig(64), to: chance(0.1) ? null : getAddress(rhex(20)),
    value: pick([0n, rbig(128), rbig(256)]), data: rhex(rlen() % 300),
  };
  if (type === 2) {
    fields.maxPriorityFeePerGas = rbig(64); fields.maxFeePerGas = fields.maxPriorityFeePerGas + rbig(64);
    fields.accessList = Array.from({ length: rint(3) }, () => ({ address: getAddress(rhex(20)),
      storageKeys: Array.from({ length: rint(3) }, () => rhex(32)) }));
  } else fields.gasPrice = rbig(80);
  const tx = Transaction.from(fields);
  const signingHash = tx.unsignedHash;
  tx.signature = new SigningKey(key).sign(signingHash);
  const json = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
  txs.push({ privateKey: key, tx: json, unsigned: tx.unsignedSerialized, signingHash, raw: tx.serialized,
             hash: tx.hash, from: tx.from });
}

// ---------------------------------------------------------------------------------------------
// Keystores: ethers encrypts (scrypt, small N for speed), C++ must decrypt. pbkdf2 keystores are
// assembled here from node:crypto primitives and accepted only after ethers decrypts them.
const keystores = [];
for (let i = 0; i < COUNT; i++) {
  const key = rkey();
  const password = rstring();
  const address = new Wallet(key).address;
  let json;
  if (i % 4 === 3) {
    const salt = rbytes(32), iv = rbytes(16), c = 1 + rint(64);
    const dk = crypto.pbkdf2Sync(Buffer.from(toUtf8Bytes(password.normalize('NFKC'))), salt, c, 32, 'sha256');
    const cipher = crypto.createCipheriv('aes-128-ctr', dk.subarray(0, 16), iv);
    const ct = Buffer.concat([cipher.update(Buffer.from(key.slice(2), 'hex')), cipher.final()]);
    const mac = keccak256(Buffer.concat([dk.subarray(16, 32), ct])).slice(2);
    json = JSON.stringify({ address: address.slice(2).toLowerCase(), id: crypto.randomUUID(), version: 3,
      crypto: { cipher: 'aes-128-ctr', cipherparams: { iv: Buffer.from(iv).toString('hex') },
        ciphertext: ct.toString('hex'), kdf: 'pbkdf2',
        kdfparams: { c, dklen: 32, prf: 'hmac-sha256', salt: Buffer.from(salt).toString('hex') }, mac } });
  } else {
    json = encryptKeystoreJsonSync({ address, privateKey: key }, password,
      { scrypt: { N: 1 << (1 + rint(5)), r: 1 + rint(8), p: 1 + rint(2) }, salt: rbytes(32), iv: rbytes(16),
        uuid: rbytes(16) });
  }
  if (decryptKeystoreJsonSync(json, password).privateKey !== key) throw new Error('keystore self-check failed');
  keystores.push({ json, password, privateKey: key, address });
}

const out = { generator: `ethers ${ethersVersion}`, seed: SEED, count: COUNT, keccak, eip191, orders, typed, rlp,
  abi, matchOrders, txs, keystores };
writeFileSync(args.out, JSON.stringify(out));
console.log(`oracle: ${COUNT} cases per primitive written to ${args.out} (ethers ${ethersVersion}, seed ${SEED})`);
