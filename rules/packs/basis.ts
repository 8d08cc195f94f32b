/**
 * The standards and clauses pack alarms cite. rules/packs/README.md ("Sources and what is
 * verified") records where each article and item number was checked and marks the ones that were not.
 */
export { GB_6222, GBZ_2_1, GB_T_50493 } from '../presets.js';

/** 《工贸企业重大事故隐患判定标准》(应急管理部令第10号, 2023). */
export const MAJOR_HAZARD_STANDARD = '《工贸企业重大事故隐患判定标准》(应急管理部令第10号)';
export const clause = (article: string, item: string) => `${MAJOR_HAZARD_STANDARD} ${article}(${item})`;

/** 第四条: 冶金企业 (verified: (四), (五); (六) see the README). */
export const METALLURGY_WATER_COOLED = clause('第四条', '四');
export const METALLURGY_BF_TOP_PRESSURE = clause('第四条', '五');
export const METALLURGY_CO_DETECTORS = clause('第四条', '六');
/** 第十一条: 存在粉尘爆炸危险的工贸企业 (第十一条至第十三条 are the 专项类 articles; verified). */
export const DUST_DRY_EXPLOSION_CONTROL = clause('第十一条', '三');
export const DUST_POSITIVE_PRESSURE = clause('第十一条', '四');
export const DUST_AIRLOCK = clause('第十一条', '六');
export const DUST_HYDROGEN = clause('第十一条', '九');
/** 第十三条: 存在硫化氢、一氧化碳等中毒风险的有限空间作业 (verified). */
export const CONFINED_SPACE_ENTRY = clause('第十三条', '二');
/** 《工贸企业有限空间作业安全规定》(应急管理部令第13号, in force 2024-01-01). */
export const CONFINED_SPACE_RULES = '《工贸企业有限空间作业安全规定》(应急管理部令第13号)';
/** 《危险化学品重大危险源监督管理暂行规定》(原国家安监总局令第40号) 第十三条(一) (verified). */
export const HAZCHEM_MONITORING = '《危险化学品重大危险源监督管理暂行规定》(原国家安监总局令第40号) 第十三条(一)';
export const AQ_3035 = 'AQ 3035-2010《危险化学品重大危险源安全监控通用技术规范》';
/** Wet dust collectors: the dust-collection chapter of the dust explosion code (chapter verified, see README). */
export const GB_15577_DUST_COLLECTION = 'GB 15577-2018《粉尘防爆安全规程》第8章 除尘系统';
/** Ammonia refrigeration. */
export const GB_50072 = 'GB 50072-2021《冷库设计标准》';
/** Redundant-detector voting (IEC 61511 practice). */
export const GB_T_21109 = 'GB/T 21109-2007 (IEC 61511)';
