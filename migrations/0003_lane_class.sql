-- The lane class of LLM-bound mail (lanes.py: conversation, about_the_shop, other), so that
-- `voidmail stats` can show the day's LLM budget spent per class.
ALTER TABLE tasks ADD COLUMN lane_class text;
ALTER TABLE tasks ADD CONSTRAINT tasks_lane_class_check
    CHECK (lane_class IS NULL OR lane_class IN ('conversation', 'about_the_shop', 'other'));
