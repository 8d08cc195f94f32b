/**
 * The standards and clauses pack alarms cite. Clause numbers are as rules/packs/README.md records
 * them; the README marks the ones not checked against the primary text.
 */
export { GB_6222, GBZ_2_1, GB_T_50493 } from '../presets.js';

/** 《工贸企业重大事故隐患判定标准》(应急管理部令第10号, 2023). */
export const MAJOR_HAZARD_STANDARD = '《工贸企业重大事故隐患判定标准》(应急管理部令第10号)';
export const clause = (article: string, item: string) => `${MAJOR_HAZARD_STANDARD} ${article}(${item})`;

/** 第四条: 冶金企业. */
export const METALLURGY_WATER_COOLED = clause('第四条', '四');
export const METALLURGY_BF_TOP_PRESSURE = clause('第四条', '五');
export const METALLURGY_CO_DETECTORS = clause('第四条', '六');
/** 第十二条: 存在粉尘爆炸危险的工贸企业. */
export const DUST_DRY_EXPLOSION_CONTROL = clause('第十二条', '三');
export const DUST_POSITIVE_PRESSURE = clause('第十二条', '四');
export const DUST_AIRLOCK = clause('第十二条', '六');
export const DUST_HYDROGEN = clause('第十二条', '九');
/** 第十四条: 有限空间作业. */
export const CONFINED_SPACE_ENTRY = clause('第十四条', '二');
/** 《工贸企业有限空间作业安全规定》(应急管理部令第13号). */
export const CONFINED_SPACE_RULES = '《工贸企业有限空间作业安全规定》(应急管理部令第13号)';
/** 《危险化学品重大危险源监督管理暂行规定》(原国家安监总局令第40号) 第十三条(一). */
export const HAZCHEM_MONITORING = '《危险化学品重大危险源监督管理暂行规定》(原国家安监总局令第40号) 第十三条(一)';
export const AQ_3035 = 'AQ 3035-2010《危险化学品重大危险源安全监控通用技术规范》';
/** Ammonia refrigeration. */
export const GB_50072 = 'GB 50072-2021《冷库设计标准》';
/** Redundant-detector voting (IEC 61511 practice). */
export const GB_T_21109 = 'GB/T 21109-2007 (IEC 61511)';
