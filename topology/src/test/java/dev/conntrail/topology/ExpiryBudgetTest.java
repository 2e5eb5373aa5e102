package dev.conntrail.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The tombstone time of one punctuation interval is shared by the tasks of a thread, and renewed in the next interval. */
class ExpiryBudgetTest {
    @Test
    void tasksOfOneIntervalShareItsTimeAndTheNextIntervalGetsItAnew() {
        ExpiryBudget budget = new ExpiryBudget();
        assertThat(budget.remaining(1_000, 100, 15)).isEqualTo(15);
        budget.spend(10);
        assertThat(budget.remaining(1_001, 100, 15)).as("another task, same interval").isEqualTo(5);
        budget.spend(6);
        assertThat(budget.remaining(1_050, 100, 15)).as("spent out").isEqualTo(-1);
        assertThat(budget.remaining(1_050, 100, 50)).as("a late backlog gets the larger slice, less what was spent").isEqualTo(34);
        assertThat(budget.remaining(1_100, 100, 15)).as("next interval").isEqualTo(15);
        assertThat(budget.remaining(900, 100, 15)).as("a clock set back starts anew").isEqualTo(15);
    }

    @Test
    void eachThreadHasItsOwn() throws Exception {
        ExpiryBudget mine = ExpiryBudget.ofThisThread();
        ExpiryBudget[] other = new ExpiryBudget[1];
        Thread t = new Thread(() -> other[0] = ExpiryBudget.ofThisThread());
        t.start();
        t.join();
        assertThat(other[0]).isNotNull().isNotSameAs(mine);
        assertThat(ExpiryBudget.ofThisThread()).isSameAs(mine);
    }
}
