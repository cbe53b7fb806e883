"""storykit.stories.claims on small tables made here."""

import pandas as pd
import pytest

from storykit.errors import DataError
from storykit.stories import claims as cl

NATIONAL = pd.DataFrame({"year": [2010, 2011, 2012, 2013], "deaths_best": [5, 10, 20, 30],
                         "deaths_low": [4, 8, 15, 25], "deaths_high": [6, 12, 25, 35]})


def test_the_toll_adds_the_war_years_up_to_the_one_asked():
    assert cl.toll(NATIONAL, 2012).tolist() == [30, 23, 37]
    with pytest.raises(DataError, match="no battle deaths for 2014; its last year is 2013"):
        cl.toll(NATIONAL, 2014)
    assert cl.cumulative_toll(NATIONAL)["total"].tolist() == [10, 30, 60]


def test_what_the_yearly_table_leaves_out_is_every_other_kind_of_violence():
    events = pd.DataFrame({"date_start": ["2016-01-02", "2016-05-01", "2016-07-01", "2017-01-01"],
                           "type_of_violence": [1, 2, 3, 1], "deaths_best": [10, 4, 6, 100]})
    assert cl.left_out(events, 2016) == {"all": 20, "state_based": 10}
    with pytest.raises(DataError, match="no events in 2015"):
        cl.left_out(events, 2015)


def test_displaced_adds_refugees_abroad_and_idps_of_the_current_release():
    refugees = pd.DataFrame({"source": ["unhcr_population"] * 2 + ["unhcr_hdx_origin_syr"], "year": [2016] * 3,
                             "asylum_iso3": ["TUR", "LBN", "TUR"], "asylum_name": ["T", "L", "T"],
                             "refugees": [3, 2, 99]})
    idps = pd.DataFrame({"source": ["unhcr_population", "idmc_idps"], "year": [2016, 2016], "idps": [7, 50]})
    assert cl.displaced(refugees, idps).to_dict("records") == [
        {"year": 2016, "refugees": 5, "idps": 7, "displaced": 12}]


def test_the_prewar_base_is_the_last_estimate_before_2011():
    population = pd.DataFrame({"year": [2002, 2007, 2012], "population": [1, 2, 3]})
    assert cl.prewar(population)["year"] == 2007
    with pytest.raises(DataError, match="no estimate before 2011"):
        cl.prewar(population[population.year > 2010])
