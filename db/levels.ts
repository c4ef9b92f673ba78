// Levels between organizations (issue 19): a bureau over its schools, a city bureau over district bureaus.
// Either file may say it — a bureau's `schools`, a school's `tenant.bureau` — and either may be imported
// first: after every import the links are worked out again from what all loaded files say, and the
// 分包学校 of the bureaus' posts, units and people are pointed at the school tenants they name.
// Part of the organization importer: runs inside its transaction, under its lock (claims.ts).

import { asc, eq, sql } from 'drizzle-orm';
import { defaultHazardPrefix, type OrgFile } from '../handlers/org-file.ts';
import { chunks } from './chunks.ts';
import type { Tx } from './client.ts';
import { bureauContracts, bureauSchools, tenants } from './schema.ts';

/** A problem (refuses the file) or a warning (imported; linked once the other side is loaded). */
export interface LevelNote {
  path: string;
  message: string;
}

/** The prefix the file gives its hazard numbers, or the refusal when another organization has it. */
export async function hazardPrefixOf(tx: Tx, org: OrgFile): Promise<{ prefix: string; problem?: LevelNote }> {
  const prefix = org.tenant.hazard_prefix ?? defaultHazardPrefix(org.tenant.code);
  const [holder] = await tx
    .select({ code: tenants.code, name: tenants.name })
    .from(tenants)
    .where(eq(tenants.hazardPrefix, prefix));
  if (!holder || holder.code === org.tenant.code) return { prefix };
  return {
    prefix,
    problem: {
      path: org.tenant.hazard_prefix ? 'tenant.hazard_prefix' : 'tenant.code',
      message: `隐患编号前缀“${prefix}”已由“${holder.name}”使用，隐患编号须全系统唯一；请在 tenant.hazard_prefix 另设一个前缀`,
    },
  };
}

/** Replaces what the file says of levels for its tenant: the schools it lists and its 分包学校. */
export async function writeLevelDeclarations(
  tx: Tx,
  tenantId: number,
  org: OrgFile,
  ids: { units: Map<string, number>; posts: Map<string, number>; people: Map<string, number> },
) {
  await tx.delete(bureauSchools).where(eq(bureauSchools.bureauId, tenantId));
  if (org.schools.length > 0) {
    await tx
      .insert(bureauSchools)
      .values(org.schools.map((school) => ({ bureauId: tenantId, code: school.code, name: school.name })));
  }
  await tx.delete(bureauContracts).where(eq(bureauContracts.bureauId, tenantId));
  const rows = contractsOf(org).map((contract) => ({
    bureauId: tenantId,
    postId: contract.post ? ids.posts.get(contract.post)! : null,
    unitId: contract.unit ? ids.units.get(contract.unit)! : null,
    personId: contract.person ? ids.people.get(contract.person)! : null,
    obligationCode: contract.obligation ?? null,
    schoolName: contract.school,
  }));
  for (const some of chunks(rows)) await tx.insert(bureauContracts).values(some);
}

interface FileContract {
  post?: string;
  unit?: string;
  person?: string;
  obligation?: string;
  school: string;
  path: string;
}

/** Every 分包学校 the file names, with its path: posts' obligations, units and people. */
function contractsOf(org: OrgFile): FileContract[] {
  return [
    ...org.posts.flatMap((post, i) =>
      post.obligations.flatMap((obligation, j) =>
        obligation.schools.map((school, k) => ({
          post: post.code,
          obligation: obligation.code,
          school,
          path: `posts[${i}].obligations[${j}].schools[${k}]`,
        })),
      ),
    ),
    ...org.units.flatMap((unit, i) =>
      unit.schools.map((school, k) => ({ unit: unit.code, school, path: `units[${i}].schools[${k}]` })),
    ),
    ...org.people.flatMap((person, i) =>
      (person.schools ?? []).map((school, k) => ({
        person: person.code,
        school,
        path: `people[${i}].schools[${k}]`,
      })),
    ),
  ];
}

/**
 * Works out every tenant's parent from what the loaded files say, and points the contracts at the schools.
 * Problems that involve the imported tenant refuse its file; what is not loaded yet is a warning.
 */
export async function linkLevels(
  tx: Tx,
  tenantId: number,
  org: OrgFile,
): Promise<{ problems: LevelNote[]; warnings: LevelNote[] }> {
  const all = await tx
    .select({
      id: tenants.id,
      code: tenants.code,
      name: tenants.name,
      kind: tenants.kind,
      bureauCode: tenants.bureauCode,
      parentId: tenants.parentId,
    })
    .from(tenants)
    .orderBy(asc(tenants.id));
  const declared = await tx.select().from(bureauSchools);
  const byCode = new Map(all.map((tenant) => [tenant.code, tenant]));
  const byId = new Map(all.map((tenant) => [tenant.id, tenant]));
  const problems: LevelNote[] = [];
  const warnings: LevelNote[] = [];
  const parentOf = new Map<number, number | null>();
  for (const tenant of all) {
    const candidates = new Set<number>();
    const named = tenant.bureauCode ? byCode.get(tenant.bureauCode) : undefined;
    if (named) candidates.add(named.id);
    for (const row of declared) if (row.code === tenant.code) candidates.add(row.bureauId);
    const mine = tenant.id === tenantId || candidates.has(tenantId);
    if (candidates.size > 1) {
      if (mine) {
        const names = [...candidates].map((id) => `“${byId.get(id)!.name}”`).join('、');
        problems.push({
          path: tenant.id === tenantId ? 'tenant.bureau' : 'schools',
          message: `“${tenant.name}”同时被列为 ${names} 的下级，一个单位只能有一个上级；请改正其中一个组织文件`,
        });
      }
      parentOf.set(tenant.id, tenant.parentId);
      continue;
    }
    const [parent] = candidates;
    if (parent !== undefined && byId.get(parent)!.kind !== 'bureau') {
      if (mine)
        problems.push({
          path: 'tenant.bureau',
          message: `“${byId.get(parent)!.name}”不是教育局（tenant.kind: bureau），不能作为上级`,
        });
      parentOf.set(tenant.id, null);
      continue;
    }
    parentOf.set(tenant.id, parent ?? null);
  }
  for (const tenant of all) {
    const seen = new Set<number>([tenant.id]);
    for (let up = parentOf.get(tenant.id); up != null; up = parentOf.get(up)) {
      if (!seen.has(up)) {
        seen.add(up);
        continue;
      }
      if (seen.has(tenantId)) {
        problems.push({
          path: org.tenant.bureau ? 'tenant.bureau' : 'schools',
          message: `上下级关系成环（${[...seen].map((id) => byId.get(id)!.name).join(' → ')}）；请改正组织文件`,
        });
      }
      break;
    }
    if (problems.length > 0) break;
  }
  if (problems.length > 0) return { problems, warnings };

  const changed = all.filter((tenant) => (parentOf.get(tenant.id) ?? null) !== tenant.parentId);
  for (const tenant of changed) {
    await tx
      .update(tenants)
      .set({ parentId: parentOf.get(tenant.id) ?? null })
      .where(eq(tenants.id, tenant.id));
  }
  // A contract names the school by its name or its code, among the bureau's own schools.
  await tx.execute(sql`
    update ${bureauContracts} c set school_id = (
      select s.id from ${tenants} s
      where s.parent_id = c.bureau_id and (s.name = c.school_name or s.code = c.school_name)
      order by s.id limit 1)`);

  if (org.tenant.bureau && !byCode.has(org.tenant.bureau)) {
    warnings.push({
      path: 'tenant.bureau',
      message: `上级教育局“${org.tenant.bureau}”尚未导入；导入其组织文件后自动关联`,
    });
  }
  org.schools.forEach((school, i) => {
    const found = byCode.get(school.code);
    if (!found) {
      warnings.push({
        path: `schools[${i}]`,
        message: `学校“${school.name}”（${school.code}）尚未导入；导入其组织文件后自动关联`,
      });
    } else if (parentOf.get(found.id) !== tenantId) {
      warnings.push({ path: `schools[${i}]`, message: `学校“${school.name}”（${school.code}）未能关联` });
    }
  });
  const children = all.filter((tenant) => parentOf.get(tenant.id) === tenantId);
  for (const contract of contractsOf(org)) {
    const school = children.find((child) => child.name === contract.school || child.code === contract.school);
    if (!school) {
      warnings.push({
        path: contract.path,
        message: `分包学校“${contract.school}”还不是本局已导入的下级学校（见 schools 或学校文件的 tenant.bureau）；导入后自动关联`,
      });
    }
  }
  return { problems, warnings };
}
