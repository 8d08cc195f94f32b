import type { Command } from '../command.js';
import { parseOptions } from '../options.js';
import { listPki, trustFromEndpoint, trustRejected } from '../../../adapters/opcua/trust.js';
import type { CertificateSummary } from '../../../adapters/opcua/pki.js';

const usage = 'opcua-trust [--pki <dir>] (--list | --thumbprint <sha1> | --endpoint <opc.tcp://…> [--expect <sha1>])';

function show(c: CertificateSummary): string {
  return `  ${c.thumbprint}  ${c.subject}  有效期至 ${c.validTo}${c.applicationUri ? `  ${c.applicationUri}` : ''}`;
}

const command: Command = {
  summary: 'list and trust OPC UA server certificates in the gateway PKI folder',
  usage,
  async run(argv) {
    const o = parseOptions(
      argv,
      {
        pki: { type: 'string' },
        list: { type: 'boolean' },
        thumbprint: { type: 'string' },
        endpoint: { type: 'string' },
        expect: { type: 'string' },
      },
      usage,
    );
    const pki = o.pki ?? '.data/pki/opcua';
    if (o.thumbprint) {
      const c = await trustRejected(pki, o.thumbprint);
      console.log(`已信任 (trusted):\n${show(c)}\n运行中的网关会在下次重连时自动连上该服务器，无需重启。`);
      return 0;
    }
    if (o.endpoint) {
      const c = await trustFromEndpoint(pki, o.endpoint, o.expect);
      console.log(`已信任 ${o.endpoint} 的证书 (trusted):\n${show(c)}${o.expect ? '' : '\n请与服务器配置界面显示的指纹核对；下次可用 --expect <指纹> 自动核对。'}`);
      return 0;
    }
    if (o.list) {
      const { rejected, trusted } = listPki(pki);
      console.log(`PKI ${pki}`);
      console.log(`被拒绝的服务器证书 (rejected, ${rejected.length}):`);
      for (const c of rejected) console.log(show(c));
      console.log(`已信任的证书 (trusted, ${trusted.length}):`);
      for (const c of trusted) console.log(show(c));
      if (rejected.length > 0) console.log(`信任其中一个：npm run gateway -- opcua-trust --pki ${pki} --thumbprint <指纹>`);
      return 0;
    }
    console.error(`give --list, --thumbprint or --endpoint\nusage: npm run gateway -- ${usage}`);
    return 1;
  },
};
export default command;
