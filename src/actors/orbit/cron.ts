/** ORBIT's cron dialect lives in actors/shared/cron.ts, where FLUX's schedule triggers read it too. */
export * from "../shared/cron.ts"
